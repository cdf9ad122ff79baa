#ifndef STRATA_CONTROLPLANE_KUBE_KUBE_SOURCE_H_
#define STRATA_CONTROLPLANE_KUBE_KUBE_SOURCE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/kube/reflector.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/source/manifest_parser.h"
#include "controlplane/source/state_diff.h"

namespace strata::kube {

// The cluster state from a Kubernetes API server: one Reflector per kind strata reads
// (Services, EndpointSlices, Ingresses, IngressClasses, Traefik IngressRoutes in both API
// groups, Namespaces, and the Gateway API's GatewayClasses, Gateways, HTTPRoutes and
// ReferenceGrants, `gateway.networking.k8s.io/v1`). Each object is validated as a manifest is
// when it arrives; a malformed one is skipped with a log line and does not affect the others.
// Once every kind has been listed, `callback` gets the whole state, and again after each burst
// of changes (debounced). A kind the server does not have (IngressRoute without Traefik's CRDs,
// the Gateway API without its CRDs) counts as empty, and so do Namespaces when listing them is
// forbidden (403).
class KubeSource {
 public:
  // Gets each new state with how it differs from the last one (everything for the first).
  using Callback =
      std::function<void(const source::ClusterStateConstSharedPtr&, const source::StateChanges&)>;
  struct Options {
    absl::Duration debounce = absl::Milliseconds(100);
    Reflector::Options reflector;
  };

  KubeSource(ApiClient& client, Clock& clock, Callback callback, Options options);
  KubeSource(ApiClient& client, Clock& clock, Callback callback)
      : KubeSource(client, clock, std::move(callback), Options()) {}
  ~KubeSource();
  KubeSource(const KubeSource&) = delete;
  KubeSource& operator=(const KubeSource&) = delete;

  void Start();
  void Stop();

  // The kinds read, as ResourceTypes.
  static std::vector<ResourceType> Kinds();

 private:
  class KindStore;
  void Changed() ABSL_LOCKS_EXCLUDED(mu_);
  void PublishLoop() ABSL_LOCKS_EXCLUDED(mu_);

  Clock& clock_;
  const Callback callback_;
  const Options options_;
  absl::Mutex mu_;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<KindStore>> stores_;
  // The last state published; publisher thread only. Updated in place when nothing else
  // holds it any more.
  std::shared_ptr<source::ClusterState> state_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  std::thread publisher_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_KUBE_SOURCE_H_

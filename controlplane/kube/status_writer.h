#ifndef STRATA_CONTROLPLANE_KUBE_STATUS_WRITER_H_
#define STRATA_CONTROLPLANE_KUBE_STATUS_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/source/cluster_state.h"
#include "controlplane/translate/two_tier.h"
#include "nlohmann/json.hpp"

namespace strata::kube {

// Tells users, on their own objects, where they are served and what the translation refused.
// Every served Ingress gets the edge's addresses in status.loadBalancer. For every Ingress and
// IngressRoute strata serves, the annotation strata.dev/problems holds its problems (one per
// line) and is removed once there are none, and each new set of problems is also a Warning
// Event on the object (`kubectl describe` shows it). GatewayClasses, Gateways and HTTPRoutes
// get the conditions of the Gateway API in their status subresource: read, merged (other
// controllers' entries stay) and written back only when it changes, with the
// resourceVersion read, so a concurrent change is never overwritten. Only the leader writes.
// Writes are derived from the whole state each time, so they are idempotent: a new leader,
// or a write seen back through the watch, changes nothing. Event names are a stable hash of
// the object and the message, so two replicas never post the same Event twice.
class StatusWriter {
 public:
  StatusWriter(ApiClient& client, Clock& clock);
  ~StatusWriter();
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  void SetLeader(bool leader) ABSL_LOCKS_EXCLUDED(mu_);
  // After every translation. Never waits for the API server.
  void Update(const source::ClusterState& state, const translate::TwoTierConfig& config)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until nothing is left to write (for tests); false after `timeout`.
  bool AwaitIdle(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Write {
    std::string method;
    std::string path;
    std::string body;
    std::string what;  // for the log
    // A status write: GET `path`, let this change the object's `status` (false: nothing to
    // change), PUT it to `path`/status. Gets the time for new condition transitions.
    std::function<bool(const std::string& now, nlohmann::json& status)> update_status;
    // Once written, `path` has the status described by `digest`.
    std::string digest;
  };
  enum class Outcome { kFailed, kDone, kGone, kRefused };
  // Performs `write`: kDone, kGone when the object does not exist (nothing left to do),
  // kRefused when the server refuses it for good (logged), kFailed when worth retrying.
  Outcome Perform(const Write& write);
  static void AddGatewayApiWrites(const translate::GatewayApiStatus& status,
                                  std::vector<Write>& writes);
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  ApiClient& client_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::string in_flight_ ABSL_GUARDED_BY(mu_);       // the path being written, while busy_
  std::vector<Write> pending_ ABSL_GUARDED_BY(mu_);  // from the latest Update
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;     // Updates so far
  // Status written as leader: object path → digest of the Gateway API status it holds.
  // Cleared on losing leadership, so a new term checks every object once.
  std::map<std::string, std::string> written_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_STATUS_WRITER_H_

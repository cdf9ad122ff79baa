#ifndef STRATA_CONTROLPLANE_KUBE_LEASE_STORE_H_
#define STRATA_CONTROLPLANE_KUBE_LEASE_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "controlplane/kube/api_client.h"
#include "controlplane/kube/leader_elector.h"

namespace strata::kube {

// The `coordination.k8s.io/v1` Lease namespace/name on the API server (KUBE_API.md §3):
// GET, POST to create, PUT with metadata.resourceVersion to update (HTTP 409 → Aborted).
// Times are written as the API's MicroTime (RFC 3339 with microseconds).
class ApiLeaseStore final : public LeaseStore {
 public:
  ApiLeaseStore(ApiClient& client, std::string namespace_, std::string name)
      : client_(client), namespace_(std::move(namespace_)), name_(std::move(name)) {}

  absl::StatusOr<LeaseRecord> Get() override;
  absl::StatusOr<LeaseRecord> Create(const LeaseRecord& record) override;
  absl::StatusOr<LeaseRecord> Update(const LeaseRecord& record) override;

  // The Lease as JSON, and back (exposed for tests).
  std::string ToJson(const LeaseRecord& record) const;
  static absl::StatusOr<LeaseRecord> FromJson(const std::string& json);

 private:
  std::string CollectionPath() const;

  ApiClient& client_;
  const std::string namespace_;
  const std::string name_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_LEASE_STORE_H_

#ifndef STRATA_CONTROLPLANE_KUBE_LEADER_ELECTOR_H_
#define STRATA_CONTROLPLANE_KUBE_LEADER_ELECTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace strata::kube {

// The fields of a `coordination.k8s.io/v1` Lease that leader election reads and writes.
struct LeaseRecord {
  std::string holder_identity;  // empty: nobody holds it
  int64_t lease_duration_seconds = 0;
  absl::Time acquire_time;
  absl::Time renew_time;
  int64_t lease_transitions = 0;
  std::string resource_version;  // metadata.resourceVersion; the API server sets it

  bool operator==(const LeaseRecord&) const = default;
};

// The Lease object on the API server.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // NotFound when there is no Lease yet.
  virtual absl::StatusOr<LeaseRecord> Get() = 0;
  // AlreadyExists when another candidate created it first.
  virtual absl::StatusOr<LeaseRecord> Create(const LeaseRecord& record) = 0;
  // Replaces the Lease if `record.resource_version` is the current one; Aborted (HTTP 409
  // Conflict) when it is stale.
  virtual absl::StatusOr<LeaseRecord> Update(const LeaseRecord& record) = 0;
};

struct LeaderElectionConfig {
  std::string identity;  // this replica, e.g. the pod name; must not be empty
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
};

// client-go's leader election on a Lease (KUBE_API.md §3). The caller runs Tick() every
// retry_period (with jitter); every decision uses only this replica's clock: another holder's
// renewTime is never compared with it, only whether the record changed since it was last seen,
// so clock offsets between replicas do not matter.
class LeaderElector {
 public:
  // InvalidArgument unless identity is set and lease_duration > renew_deadline >
  // 1.2 × retry_period > 0 (client-go's rule).
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(LeaseStore& store, Clock& clock,
                                                               LeaderElectionConfig config);

  // One round: acquire the Lease, or renew it while leading. Returns whether this replica
  // leads afterwards. A leader stops leading when it could not renew for renew_deadline, or at
  // once when it finds another holder in the Lease.
  bool Tick();

  bool IsLeader() const { return leader_; }

  // On shutdown: if leading and still the holder as last seen, hands the Lease back (empty
  // holder, 1 s duration) so another replica takes over within about a second. One attempt, no
  // retry.
  absl::Status Release();

  // False while this replica believes it leads but has not renewed for longer than
  // lease_duration + `tolerance` (others may have taken over).
  bool Healthy(absl::Duration tolerance) const;

 private:
  LeaderElector(LeaseStore& store, Clock& clock, LeaderElectionConfig config)
      : store_(store), clock_(clock), config_(std::move(config)) {}

  // Acquires or renews from a fresh read of the Lease; whether this replica holds it now.
  bool TryAcquireOrRenew();
  LeaseRecord OwnRecord(absl::Time now, const LeaseRecord* current) const;
  // Whether the last record seen names another holder.
  bool HeldByOther() const;

  LeaseStore& store_;
  Clock& clock_;
  const LeaderElectionConfig config_;
  bool leader_ = false;
  std::optional<LeaseRecord> observed_;  // the last record read or written
  absl::Time observed_time_;             // when it changed, on our clock
  absl::Time last_renew_;                // our last successful write while leading
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_LEADER_ELECTOR_H_

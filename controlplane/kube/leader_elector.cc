#include "controlplane/kube/leader_elector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace strata::kube {

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(LeaseStore& store,
                                                                     Clock& clock,
                                                                     LeaderElectionConfig config) {
  if (config.identity.empty()) {
    return absl::InvalidArgumentError("leader election: the identity must not be empty");
  }
  if (config.retry_period <= absl::ZeroDuration() ||
      config.renew_deadline <= config.retry_period * 1.2 ||
      config.lease_duration <= config.renew_deadline) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: need lease duration > renew deadline > 1.2 x retry period > 0, got ",
        absl::FormatDuration(config.lease_duration), " / ",
        absl::FormatDuration(config.renew_deadline), " / ",
        absl::FormatDuration(config.retry_period)));
  }
  return std::unique_ptr<LeaderElector>(new LeaderElector(store, clock, std::move(config)));
}

LeaseRecord LeaderElector::OwnRecord(absl::Time now, const LeaseRecord* current) const {
  LeaseRecord record;
  record.holder_identity = config_.identity;
  record.lease_duration_seconds = absl::ToInt64Seconds(config_.lease_duration);
  record.renew_time = now;
  record.acquire_time = now;
  if (current != nullptr) {
    record.resource_version = current->resource_version;
    record.lease_transitions = current->lease_transitions;
    if (current->holder_identity == config_.identity) {
      record.acquire_time = current->acquire_time;
    } else {
      ++record.lease_transitions;
    }
  }
  return record;
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time now = clock_.Now();
  absl::StatusOr<LeaseRecord> current = store_.Get();
  if (absl::IsNotFound(current.status())) {
    absl::StatusOr<LeaseRecord> created = store_.Create(OwnRecord(now, nullptr));
    if (!created.ok()) return false;  // AlreadyExists: someone else was first
    observed_ = *created;
    observed_time_ = now;
    return true;
  }
  if (!current.ok()) {
    STRATA_LOG(WARNING) << "leader election: " << current.status().message();
    return false;
  }
  if (!observed_.has_value() || !(*observed_ == *current)) {
    observed_ = *current;
    observed_time_ = now;
  }
  const bool held_by_other =
      !current->holder_identity.empty() && current->holder_identity != config_.identity;
  if (held_by_other && observed_time_ + absl::Seconds(current->lease_duration_seconds) > now) {
    return false;  // another replica holds it and has renewed recently (as we saw it)
  }
  absl::StatusOr<LeaseRecord> updated = store_.Update(OwnRecord(now, &*current));
  if (!updated.ok()) {  // Aborted: the record changed under us, which is no news
    if (!absl::IsAborted(updated.status())) {
      STRATA_LOG(WARNING) << "leader election: " << updated.status().message();
    }
    return false;
  }
  observed_ = *updated;
  observed_time_ = now;
  return true;
}

bool LeaderElector::Tick() {
  const absl::Time now = clock_.Now();
  if (leader_) {
    // Fast path: renew from the cached record; on any failure read the Lease again.
    bool renewed = false;
    if (observed_.has_value() && observed_->holder_identity == config_.identity) {
      absl::StatusOr<LeaseRecord> updated = store_.Update(OwnRecord(now, &*observed_));
      if (updated.ok()) {
        observed_ = *updated;
        observed_time_ = now;
        renewed = true;
      }
    }
    if (!renewed) renewed = TryAcquireOrRenew();
    if (renewed) {
      last_renew_ = now;
    } else if (clock_.Now() - last_renew_ >= config_.renew_deadline || HeldByOther()) {
      // (The time after the attempts, which may have taken long.)
      leader_ = false;  // out of time, or someone else holds the Lease now
    }
    return leader_;
  }
  if (TryAcquireOrRenew()) {
    leader_ = true;
    last_renew_ = now;
  }
  return leader_;
}

bool LeaderElector::HeldByOther() const {
  return observed_.has_value() && !observed_->holder_identity.empty() &&
         observed_->holder_identity != config_.identity;
}

absl::Status LeaderElector::Release() {
  // Only a Lease we hold is ours to hand back.
  if (!leader_ || !observed_.has_value() || observed_->holder_identity != config_.identity) {
    leader_ = false;
    return absl::OkStatus();
  }
  leader_ = false;
  const absl::Time now = clock_.Now();
  LeaseRecord record = *observed_;
  record.holder_identity.clear();
  record.lease_duration_seconds = 1;
  record.acquire_time = now;
  record.renew_time = now;
  absl::StatusOr<LeaseRecord> updated = store_.Update(record);
  if (!updated.ok()) return updated.status();
  observed_ = *updated;
  observed_time_ = now;
  return absl::OkStatus();
}

bool LeaderElector::Healthy(absl::Duration tolerance) const {
  if (!leader_) return true;
  return clock_.Now() - last_renew_ <= config_.lease_duration + tolerance;
}

}  // namespace strata::kube

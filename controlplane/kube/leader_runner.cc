#include "controlplane/kube/leader_runner.h"

#include <random>
#include <utility>

#include "common/logging.h"

namespace strata::kube {

LeaderRunner::LeaderRunner(std::unique_ptr<LeaderElector> elector, absl::Duration retry_period,
                           std::function<void(bool leading)> on_change)
    : elector_(std::move(elector)), retry_period_(retry_period), on_change_(std::move(on_change)) {}

LeaderRunner::~LeaderRunner() { Stop(); }

void LeaderRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LeaderRunner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void LeaderRunner::Run() {
  std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.0, 0.2);
  while (true) {
    const bool leading = elector_->Tick();
    if (leading != leading_.exchange(leading)) on_change_(leading);
    absl::MutexLock lock(&mu_);
    const absl::Duration wait = retry_period_ * (1.0 + jitter(random));
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) break;
  }
  if (leading_.load()) {
    if (absl::Status released = elector_->Release(); !released.ok()) {
      STRATA_LOG(WARNING) << "leader election: could not hand the Lease back: " << released;
    }
    leading_ = false;
    on_change_(false);
  }
}

}  // namespace strata::kube

#ifndef STRATA_CONTROLPLANE_KUBE_LEADER_RUNNER_H_
#define STRATA_CONTROLPLANE_KUBE_LEADER_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "controlplane/kube/leader_elector.h"

namespace strata::kube {

// Runs a LeaderElector on its own thread: a Tick every retry_period (stretched by up to 20 %
// at random, as client-go's JitterUntil), `on_change(leading)` on every change, and on Stop a
// Release so another replica takes over within about a second.
class LeaderRunner {
 public:
  LeaderRunner(std::unique_ptr<LeaderElector> elector, absl::Duration retry_period,
               std::function<void(bool leading)> on_change);
  ~LeaderRunner();
  LeaderRunner(const LeaderRunner&) = delete;
  LeaderRunner& operator=(const LeaderRunner&) = delete;

  void Start();
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  bool leading() const { return leading_.load(); }

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  std::unique_ptr<LeaderElector> elector_;
  const absl::Duration retry_period_;
  const std::function<void(bool)> on_change_;
  std::atomic<bool> leading_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace strata::kube

#endif  // STRATA_CONTROLPLANE_KUBE_LEADER_RUNNER_H_

#ifndef STRATA_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_
#define STRATA_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/upstream/cluster.h"

namespace strata::upstream {

// Bumped whenever any host's health flags change; load balancers rebuild their healthy set
// when they see a new value (one relaxed atomic load per pick).
std::atomic<uint64_t>& HealthGeneration();
// Sets or clears a flag and bumps the generation when that changed anything.
void SetHostFlag(Host& host, Host::Flag flag, bool on);

// A small, fast per-worker PRNG (splitmix64). Not for secrets.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// Picks hosts of one cluster for one worker (not thread-safe; one instance per worker and
// cluster version). Unhealthy hosts are skipped unless fewer than the cluster's panic
// threshold are healthy, in which case all hosts are used, as Envoy does.
class LoadBalancer {
 public:
  static std::unique_ptr<LoadBalancer> Create(ClusterConstSharedPtr cluster);
  virtual ~LoadBalancer() = default;

  // A host, or null when the cluster has none.
  Host* Choose(FastRandom& random);
  // Whether the last refresh found the cluster in panic mode.
  bool panic() const { return panic_; }

 protected:
  explicit LoadBalancer(ClusterConstSharedPtr cluster) : cluster_(std::move(cluster)) {}
  // Called with the set to pick from (healthy hosts, or all of them in panic).
  virtual void Rebuild() {}
  virtual Host* Pick(FastRandom& random) = 0;

  ClusterConstSharedPtr cluster_;
  std::vector<Host*> hosts_;  // the current candidate set

 private:
  void Refresh();
  uint64_t generation_ = ~0ULL;
  bool panic_ = false;
};

}  // namespace strata::upstream

#endif  // STRATA_DATAPLANE_UPSTREAM_LOAD_BALANCER_H_

#include "dataplane/upstream/load_balancer.h"

#include <algorithm>
#include <queue>
#include <utility>

namespace strata::upstream {

std::atomic<uint64_t>& HealthGeneration() {
  static std::atomic<uint64_t> generation{0};
  return generation;
}

void SetHostFlag(Host& host, Host::Flag flag, bool on) {
  const bool had = (host.flags() & flag) != 0;
  if (had == on) return;
  if (on) {
    host.SetFlag(flag);
  } else {
    host.ClearFlag(flag);
  }
  HealthGeneration().fetch_add(1, std::memory_order_release);
}

namespace {

bool AllWeightsEqual(const std::vector<Host*>& hosts) {
  for (const Host* h : hosts) {
    if (h->weight() != hosts.front()->weight()) return false;
  }
  return true;
}

class RoundRobin final : public LoadBalancer {
 public:
  using LoadBalancer::LoadBalancer;

 private:
  struct Entry {
    double deadline;
    uint32_t index;
    bool operator>(const Entry& other) const {
      return deadline != other.deadline ? deadline > other.deadline : index > other.index;
    }
  };

  void Rebuild() override {
    weighted_ = !AllWeightsEqual(hosts_);
    schedule_ = {};
    if (weighted_) {
      // Earliest-deadline-first: each host is due every 1/weight; O(log n) per pick.
      for (uint32_t i = 0; i < hosts_.size(); ++i) {
        schedule_.push({1.0 / hosts_[i]->weight(), i});
      }
    }
  }
  Host* Pick(FastRandom&) override {
    if (!weighted_) return hosts_[next_++ % hosts_.size()];
    Entry e = schedule_.top();
    schedule_.pop();
    Host* host = hosts_[e.index];
    schedule_.push({e.deadline + 1.0 / host->weight(), e.index});
    return host;
  }

  uint64_t next_ = 0;
  bool weighted_ = false;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> schedule_;
};

class LeastRequest final : public LoadBalancer {
 public:
  using LoadBalancer::LoadBalancer;

 private:
  // Power of `choice_count` choices: the sampled host with the fewest active requests.
  Host* Pick(FastRandom& random) override {
    Host* best = hosts_[random.Next() % hosts_.size()];
    for (uint32_t i = 1; i < cluster_->choice_count(); ++i) {
      Host* candidate = hosts_[random.Next() % hosts_.size()];
      if (candidate->active_requests().load(std::memory_order_relaxed) <
          best->active_requests().load(std::memory_order_relaxed)) {
        best = candidate;
      }
    }
    return best;
  }
};

class Random final : public LoadBalancer {
 public:
  using LoadBalancer::LoadBalancer;

 private:
  void Rebuild() override {
    cumulative_.clear();
    uint64_t total = 0;
    for (const Host* h : hosts_) cumulative_.push_back(total += h->weight());
  }
  Host* Pick(FastRandom& random) override {
    const uint64_t r = random.Next() % cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), r);
    return hosts_[it - cumulative_.begin()];
  }

  std::vector<uint64_t> cumulative_;
};

}  // namespace

std::unique_ptr<LoadBalancer> LoadBalancer::Create(ClusterConstSharedPtr cluster) {
  switch (cluster->lb_policy()) {
    case LbPolicy::kLeastRequest:
      return std::unique_ptr<LoadBalancer>(new LeastRequest(std::move(cluster)));
    case LbPolicy::kRandom:
      return std::unique_ptr<LoadBalancer>(new Random(std::move(cluster)));
    case LbPolicy::kRoundRobin:
      break;
  }
  return std::unique_ptr<LoadBalancer>(new RoundRobin(std::move(cluster)));
}

void LoadBalancer::Refresh() {
  hosts_.clear();
  const auto& all = cluster_->hosts();
  for (const auto& host : all) {
    if (host->Healthy()) hosts_.push_back(host.get());
  }
  panic_ =
      !all.empty() && 100.0 * static_cast<double>(hosts_.size()) <
                          cluster_->healthy_panic_threshold() * static_cast<double>(all.size());
  if (panic_) {
    hosts_.clear();
    for (const auto& host : all) hosts_.push_back(host.get());
  }
  Rebuild();
}

Host* LoadBalancer::Choose(FastRandom& random) {
  const uint64_t generation = HealthGeneration().load(std::memory_order_acquire);
  if (generation != generation_) {
    generation_ = generation;
    Refresh();
  }
  if (hosts_.empty()) return nullptr;
  return Pick(random);
}

}  // namespace strata::upstream

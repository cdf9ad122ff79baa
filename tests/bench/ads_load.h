#ifndef STRATA_TESTS_BENCH_ADS_LOAD_H_
#define STRATA_TESTS_BENCH_ADS_LOAD_H_

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/xds/resource.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace strata::bench {

enum class Protocol { kSotw, kDelta };

// What one simulated proxy holds, independent of the wire protocol: the resources it
// accepted and the EDS and RDS names they lead it to subscribe to.
class ProxyState {
 public:
  // Decodes and keeps one resource; false if the bytes do not parse. Sets `*name` to the
  // resource's name.
  bool Apply(xds::ResourceType type, const std::string& bytes, std::string* name);
  void Remove(xds::ResourceType type, const std::string& name);
  // Drops the resources of `type` not in `names` (SotW full-state responses).
  void RetainOnly(xds::ResourceType type, const std::set<std::string>& names);

  // EDS names of the held clusters (for kEndpoint), RDS names of the held listeners (kRoute).
  std::set<std::string> Wanted(xds::ResourceType type) const;
  // Every wanted EDS and RDS resource is held (and there is at least one of each).
  bool Complete() const;

  int clusters() const;
  int endpoints() const;  // summed over the held ClusterLoadAssignments
  int routes() const;     // summed over the held RouteConfigurations

 private:
  struct Held {
    std::vector<std::string> references;  // EDS name of a cluster, RDS names of a listener
    int count = 0;                        // endpoints of a CLA, routes of a RouteConfiguration
  };
  std::array<std::map<std::string, Held>, xds::kNumResourceTypes> held_;
};

// Collects what the streams report: ACKs (with the version they ACKed), completed initial
// syncs, NACKs and stream ends. Thread-safe; the waits take a deadline.
class AckTracker {
 public:
  explicit AckTracker(int streams);

  struct SyncCounts {
    int clusters = 0;
    int endpoints = 0;
    int routes = 0;
  };

  void OnAck(int stream, xds::ResourceType type, const std::string& version, absl::Time at)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnSynced(int stream, absl::Time at, SyncCounts counts) ABSL_LOCKS_EXCLUDED(mu_);
  void OnNack(int stream, const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone(int stream, const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until every stream has finished its initial sync. Returns the time the last one did,
  // or nullopt at `deadline`.
  std::optional<absl::Time> AwaitSynced(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  int synced() const ABSL_LOCKS_EXCLUDED(mu_);
  // Smallest and largest counts reported by the synced streams.
  std::pair<SyncCounts, SyncCounts> SyncCountRange() const ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until stream `expected[i].first` has ACKed version `expected[i].second` of `type`
  // for every i. Returns, per entry, when that stream sent the ACK, or nullopt at `deadline`.
  std::optional<std::vector<absl::Time>> AwaitAcks(
      xds::ResourceType type, const std::vector<std::pair<int, std::string>>& expected,
      absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  // How many of the last AwaitAcks' streams had ACKed (for error messages).
  int last_acked() const ABSL_LOCKS_EXCLUDED(mu_);

  // From now on a stream end is expected (not counted as a failure).
  void ExpectEnds() ABSL_LOCKS_EXCLUDED(mu_);
  bool AwaitAllDone(absl::Time deadline) ABSL_LOCKS_EXCLUDED(mu_);
  int failures() const ABSL_LOCKS_EXCLUDED(mu_);
  int nacks() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Acked {
    std::string version;
    absl::Time at;
  };
  struct StreamState {
    std::array<Acked, xds::kNumResourceTypes> acked;
    bool synced = false;
    bool done = false;
    // Index into the current expectation, or -1.
    int expectation = -1;
  };

  mutable absl::Mutex mu_;
  std::vector<StreamState> streams_ ABSL_GUARDED_BY(mu_);
  int synced_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sync_ ABSL_GUARDED_BY(mu_);
  SyncCounts min_counts_ ABSL_GUARDED_BY(mu_);
  SyncCounts max_counts_ ABSL_GUARDED_BY(mu_);
  int done_ ABSL_GUARDED_BY(mu_) = 0;
  bool ends_expected_ ABSL_GUARDED_BY(mu_) = false;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  int nacks_ ABSL_GUARDED_BY(mu_) = 0;
  // The expectation AwaitAcks waits on.
  xds::ResourceType expected_type_ ABSL_GUARDED_BY(mu_) = xds::ResourceType::kCluster;
  std::vector<std::string> expected_versions_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> expected_times_ ABSL_GUARDED_BY(mu_);
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  int last_acked_ ABSL_GUARDED_BY(mu_) = 0;
};

// Simulated Envoys: `streams` ADS streams, stream i in node group i / streams_per_group, spread
// over `channels` channels with a TCP connection each. Each stream subscribes to CDS and LDS
// (wildcard), then to EDS for the clusters and RDS for the route configurations it receives,
// and ACKs every response it accepts (a response that does not decode is NACKed).
class LoadClient {
 public:
  struct Options {
    std::string target;  // "127.0.0.1:port"
    Protocol protocol = Protocol::kSotw;
    int groups = 100;
    int streams_per_group = 10;
    int channels = 100;
  };

  LoadClient(Options options, AckTracker& tracker);
  ~LoadClient();

  int streams() const { return options_.groups * options_.streams_per_group; }
  int GroupOf(int stream) const { return stream / options_.streams_per_group; }

  // Opens every stream.
  void Start();
  // Cancels every stream and waits (until `deadline`) for them to end. Returns false if some
  // did not end in time; they are then leaked rather than destroyed while still running.
  bool Stop(absl::Time deadline);

  class Stream;

 private:
  Options options_;
  AckTracker& tracker_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<envoy::service::discovery::v3::AggregatedDiscoveryService::Stub>>
      stubs_;
  std::vector<std::unique_ptr<Stream>> streams_;
};

}  // namespace strata::bench

#endif  // STRATA_TESTS_BENCH_ADS_LOAD_H_

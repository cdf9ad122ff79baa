#ifndef STRATA_CONTROLPLANE_XDS_STREAM_H_
#define STRATA_CONTROLPLANE_XDS_STREAM_H_

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "controlplane/xds/callbacks.h"
#include "controlplane/xds/snapshot_cache.h"
#include "envoy/service/discovery/v3/discovery.pb.h"

namespace strata::xds {

// What the transport (a gRPC reactor) offers the protocol: start one write, end the stream.
// Both are called without the stream's lock held.
class StreamTransport {
 public:
  virtual ~StreamTransport() = default;
  // Starts writing `message` (a DiscoveryResponse or DeltaDiscoveryResponse); the transport
  // calls XdsStream::OnWriteDone when it completes. `message` stays valid until then.
  virtual void WriteResponse(const google::protobuf::Message* message) = 0;
  // Ends the stream. Called at most once, never while a write is in flight.
  virtual void FinishStream(const absl::Status& status) = 0;
};

// The xDS protocol for one stream (SotW or Delta; ADS or a single type), independent of gRPC.
// Requests come in through OnSotwRequest/OnDeltaRequest, snapshots through OnSnapshot, and
// responses leave one at a time through the StreamTransport.
//
// Rules (see XDS_PROTOCOL.md §1): per-type nonces; stale SotW nonces ignored; ACK and NACK told
// apart by error_detail; a NACKed version is not re-sent (the stream waits for a new one); at
// most one unacknowledged response per type; newly requested names are sent even if unchanged;
// ADS pushes in make-before-break order with removals last.
class XdsStream : public SnapshotWatcher, public std::enable_shared_from_this<XdsStream> {
 public:
  enum class Kind { kSotw, kDelta };

  struct Deps {
    SnapshotCache& cache;
    const NodeGrouper& grouper;
    XdsCallbacks& callbacks;
    Clock& clock;
  };

  // `fixed_type` is the type of a per-type service (LDS, CDS, ...); nullopt for ADS.
  XdsStream(Kind kind, std::optional<ResourceType> fixed_type, Deps deps, uint64_t id);
  ~XdsStream() override;

  void Attach(StreamTransport* transport) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns an error for a request that must end the stream (missing node, unknown type URL).
  absl::Status OnSotwRequest(const envoy::service::discovery::v3::DiscoveryRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status OnDeltaRequest(const envoy::service::discovery::v3::DeltaDiscoveryRequest& request)
      ABSL_LOCKS_EXCLUDED(mu_);

  void OnSnapshot(SnapshotConstSharedPtr snapshot) override ABSL_LOCKS_EXCLUDED(mu_);

  // Transport events.
  void OnWriteDone(bool ok) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the stream with `status` (after the write in flight, if any).
  void RequestFinish(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // The transport is gone; no more calls into it.
  void Detach() ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t id() const { return id_; }

 private:
  struct Known {
    std::string version;
    ResourceConstSharedPtr resource;  // null when only the version is known (Delta reconnect)
  };
  struct TypeState {
    bool requested = false;
    bool wildcard = false;
    bool named_ever = false;  // SotW: a non-empty name list was ever sent (legacy wildcard)
    absl::flat_hash_set<std::string> names;
    absl::flat_hash_map<std::string, Known> known;  // what the client holds, as far as we know
    absl::flat_hash_set<std::string> force;         // send these even if unchanged
    bool respond_anyway = false;                    // SotW full-state: subscription changed
    std::string nonce;
    bool awaiting_ack = false;
    std::string sent_version;
    absl::Time sent_at;
  };

  absl::Status ResolveType(const std::string& type_url, ResourceType* type) const;
  absl::Status LearnNode(const envoy::config::core::v3::Node& node, bool has_node)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Common start of a request (mu_ held): learns the node on the first request (setting
  // `watch_group` to the group to watch) and resolves the type.
  absl::Status BeginRequest(const envoy::config::core::v3::Node& node, bool has_node,
                            const std::string& type_url, ResourceType* type,
                            std::optional<std::string>* watch_group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Common end of a request (mu_ not held): starts the snapshot watch, then writes.
  void EndRequest(const std::optional<std::string>& watch_group) ABSL_LOCKS_EXCLUDED(mu_);
  void HandleAckOrNack(ResourceType type, const std::string& version,
                       const google::rpc::Status* error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkRequested(ResourceType type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Queues whatever responses are due, in push order.
  void ComputeResponses() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<google::protobuf::Message> ComputeSotw(ResourceType type, bool allow_removals)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<google::protobuf::Message> ComputeDelta(ResourceType type, bool allow_removals)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The resources of `type` the stream's subscription selects, by name.
  std::vector<ResourceConstSharedPtr> Desired(ResourceType type, const TypeState& st) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordSend(ResourceType type, TypeState& st, size_t count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a Cluster is (re)sent over ADS, its endpoints are sent again too: Envoy needs a fresh
  // ClusterLoadAssignment to finish warming an updated cluster.
  void ForceEndpointsOf(const std::vector<ResourceConstSharedPtr>& clusters)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Starts the next write or a pending finish; call with mu_ NOT held.
  void Pump() ABSL_LOCKS_EXCLUDED(mu_);

  const Kind kind_;
  const std::optional<ResourceType> fixed_type_;
  Deps deps_;
  const uint64_t id_;

  mutable absl::Mutex mu_;
  StreamTransport* transport_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool node_known_ ABSL_GUARDED_BY(mu_) = false;
  std::string group_ ABSL_GUARDED_BY(mu_);
  SnapshotCache::WatchHandle watch_ ABSL_GUARDED_BY(mu_);
  SnapshotConstSharedPtr snapshot_ ABSL_GUARDED_BY(mu_);
  std::array<TypeState, kNumResourceTypes> types_ ABSL_GUARDED_BY(mu_);
  uint64_t nonce_counter_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::unique_ptr<google::protobuf::Message>> queue_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<google::protobuf::Message> in_flight_ ABSL_GUARDED_BY(mu_);
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_STREAM_H_

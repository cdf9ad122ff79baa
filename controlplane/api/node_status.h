#ifndef STRATA_CONTROLPLANE_API_NODE_STATUS_H_
#define STRATA_CONTROLPLANE_API_NODE_STATUS_H_

#include <array>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "controlplane/xds/callbacks.h"
#include "proto/strata/v1/controlplane.pb.h"

namespace strata::api {

// Tracks every connected xDS node (what it was sent, ACKed and NACKed, per type) and keeps the
// xDS metrics. A node's state is dropped when its last stream closes.
class NodeStatusRegistry final : public xds::XdsCallbacks {
 public:
  NodeStatusRegistry(MetricsRegistry& metrics, Clock& clock);
  ~NodeStatusRegistry() override;

  void OnStreamOpen(uint64_t stream_id, const envoy::config::core::v3::Node& node,
                    absl::string_view group, bool delta) override;
  void OnStreamClose(uint64_t stream_id) override;
  void OnTypeRequested(uint64_t stream_id, xds::ResourceType type) override;
  void OnResponseSent(uint64_t stream_id, xds::ResourceType type, absl::string_view version,
                      size_t resources) override;
  void OnAck(uint64_t stream_id, xds::ResourceType type, absl::string_view version,
             absl::Duration latency) override;
  void OnNack(uint64_t stream_id, xds::ResourceType type, absl::string_view version,
              absl::string_view message) override;

  std::vector<strata::v1::ProxyStatus> Snapshot() const;

 private:
  struct TypeState {
    std::string sent, acked, nacked, nack_message;
    absl::Time nack_time = absl::InfinitePast();
  };
  struct NodeState {
    std::string cluster;
    std::string group;
    int streams = 0;
    std::array<TypeState, xds::kNumResourceTypes> types;
  };
  struct StreamInfo {
    std::string node_id;
    std::string group;
    std::array<bool, xds::kNumResourceTypes> requested{};
  };
  std::vector<GaugeSample> StreamSamples() const;

  MetricsRegistry& metrics_;
  Clock& clock_;
  CounterFamily* pushes_;
  CounterFamily* acks_;
  CounterFamily* nacks_;
  HistogramFamily* ack_latency_;

  mutable absl::Mutex mu_;
  std::map<std::string, NodeState> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, StreamInfo> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::api

#endif  // STRATA_CONTROLPLANE_API_NODE_STATUS_H_

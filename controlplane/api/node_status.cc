#include "controlplane/api/node_status.h"

#include <string>
#include <utility>

#include "google/protobuf/util/time_util.h"

namespace strata::api {
namespace {

std::string_view Short(xds::ResourceType type) {
  absl::string_view s = xds::ShortName(type);
  return std::string_view(s.data(), s.size());
}

}  // namespace

NodeStatusRegistry::NodeStatusRegistry(MetricsRegistry& metrics, Clock& clock)
    : metrics_(metrics), clock_(clock) {
  pushes_ =
      metrics_.AddCounter("strata_xds_pushes_total", "xDS responses sent.", {"type", "group"});
  acks_ = metrics_.AddCounter("strata_xds_acks_total", "xDS responses ACKed by clients.",
                              {"type", "group"});
  nacks_ = metrics_.AddCounter("strata_xds_nacks_total", "xDS responses NACKed by clients.",
                               {"type", "group"});
  ack_latency_ = metrics_.AddHistogram("strata_xds_push_ack_seconds",
                                       "Time from sending an xDS response to its ACK.",
                                       ExponentialBuckets(0.0005, 2, 16), {"type"});
  metrics_.AddCallbackGauge("strata_xds_connected_streams",
                            "Open xDS streams, by resource type and node group.", {"type", "group"},
                            [this] { return StreamSamples(); });
  metrics_.AddCallbackGauge("strata_xds_connected_nodes", "Connected xDS nodes.", [this] {
    absl::MutexLock lock(&mu_);
    return static_cast<double>(nodes_.size());
  });
  metrics_.AddCallbackGauge("strata_xds_serializations",
                            "Resource serializations (one per resource version).",
                            [] { return static_cast<double>(xds::SerializationCount()); });
}

NodeStatusRegistry::~NodeStatusRegistry() {
  metrics_.RemoveCallbackGauge("strata_xds_connected_streams");
  metrics_.RemoveCallbackGauge("strata_xds_connected_nodes");
  metrics_.RemoveCallbackGauge("strata_xds_serializations");
}

std::vector<GaugeSample> NodeStatusRegistry::StreamSamples() const {
  std::map<std::pair<std::string, std::string>, double> counts;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, stream] : streams_) {
      for (xds::ResourceType t : xds::kPushOrder) {
        if (stream.requested[static_cast<int>(t)]) {
          counts[{std::string(Short(t)), stream.group}] += 1;
        }
      }
    }
  }
  std::vector<GaugeSample> out;
  out.reserve(counts.size());
  for (auto& [key, n] : counts) out.push_back(GaugeSample{{key.first, key.second}, n});
  return out;
}

void NodeStatusRegistry::OnStreamOpen(uint64_t stream_id, const envoy::config::core::v3::Node& node,
                                      absl::string_view group, bool delta) {
  absl::MutexLock lock(&mu_);
  streams_[stream_id] = StreamInfo{node.id(), std::string(group), {}};
  NodeState& n = nodes_[node.id()];
  n.cluster = node.cluster();
  n.group = std::string(group);
  ++n.streams;
}

void NodeStatusRegistry::OnStreamClose(uint64_t stream_id) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  auto node = nodes_.find(it->second.node_id);
  if (node != nodes_.end() && --node->second.streams <= 0) nodes_.erase(node);
  streams_.erase(it);
}

void NodeStatusRegistry::OnTypeRequested(uint64_t stream_id, xds::ResourceType type) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it != streams_.end()) it->second.requested[static_cast<int>(type)] = true;
}

void NodeStatusRegistry::OnResponseSent(uint64_t stream_id, xds::ResourceType type,
                                        absl::string_view version, size_t resources) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  pushes_->WithLabels({Short(type), it->second.group}).Increment();
  auto node = nodes_.find(it->second.node_id);
  if (node != nodes_.end()) node->second.types[static_cast<int>(type)].sent = std::string(version);
}

void NodeStatusRegistry::OnAck(uint64_t stream_id, xds::ResourceType type,
                               absl::string_view version, absl::Duration latency) {
  ack_latency_->WithLabels({Short(type)}).Observe(absl::ToDoubleSeconds(latency));
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  acks_->WithLabels({Short(type), it->second.group}).Increment();
  auto node = nodes_.find(it->second.node_id);
  if (node != nodes_.end()) {
    node->second.types[static_cast<int>(type)].acked = std::string(version);
  }
}

void NodeStatusRegistry::OnNack(uint64_t stream_id, xds::ResourceType type,
                                absl::string_view version, absl::string_view message) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  nacks_->WithLabels({Short(type), it->second.group}).Increment();
  auto node = nodes_.find(it->second.node_id);
  if (node == nodes_.end()) return;
  TypeState& t = node->second.types[static_cast<int>(type)];
  t.nacked = std::string(version);
  t.nack_message = std::string(message);
  t.nack_time = clock_.Now();
}

std::vector<strata::v1::ProxyStatus> NodeStatusRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<strata::v1::ProxyStatus> out;
  for (const auto& [id, n] : nodes_) {
    strata::v1::ProxyStatus& p = out.emplace_back();
    p.set_node_id(id);
    p.set_node_cluster(n.cluster);
    p.set_group(n.group);
    p.set_streams(n.streams);
    for (xds::ResourceType type : xds::kPushOrder) {
      const TypeState& t = n.types[static_cast<int>(type)];
      if (t.sent.empty() && t.nacked.empty()) continue;
      strata::v1::TypeStatus* s = p.add_types();
      s->set_type_url(std::string(xds::TypeUrl(type)));
      s->set_sent_version(t.sent);
      s->set_acked_version(t.acked);
      s->set_nacked_version(t.nacked);
      s->set_nack_message(t.nack_message);
      if (t.nack_time != absl::InfinitePast()) {
        *s->mutable_nack_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
            absl::ToUnixNanos(t.nack_time));
      }
    }
  }
  return out;
}

}  // namespace strata::api

#ifndef STRATA_CONTROLPLANE_XDS_CALLBACKS_H_
#define STRATA_CONTROLPLANE_XDS_CALLBACKS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controlplane/xds/resource.h"
#include "envoy/config/core/v3/base.pb.h"

namespace strata::xds {

// Observes what xDS streams do: for status reporting and metrics. Calls may come from many
// threads at once; implementations synchronize.
class XdsCallbacks {
 public:
  virtual ~XdsCallbacks() = default;
  // A stream learned its node (first request).
  virtual void OnStreamOpen(uint64_t stream_id, const envoy::config::core::v3::Node& node,
                            absl::string_view group, bool delta) = 0;
  virtual void OnStreamClose(uint64_t stream_id) = 0;
  // The stream asked for `type` for the first time.
  virtual void OnTypeRequested(uint64_t stream_id, ResourceType type) = 0;
  virtual void OnResponseSent(uint64_t stream_id, ResourceType type, absl::string_view version,
                              size_t resources) = 0;
  virtual void OnAck(uint64_t stream_id, ResourceType type, absl::string_view version,
                     absl::Duration latency) = 0;
  virtual void OnNack(uint64_t stream_id, ResourceType type, absl::string_view version,
                      absl::string_view message) = 0;
};

// Does nothing; for tests and tools that need no reporting.
class NullXdsCallbacks final : public XdsCallbacks {
 public:
  void OnStreamOpen(uint64_t, const envoy::config::core::v3::Node&, absl::string_view,
                    bool) override {}
  void OnStreamClose(uint64_t) override {}
  void OnTypeRequested(uint64_t, ResourceType) override {}
  void OnResponseSent(uint64_t, ResourceType, absl::string_view, size_t) override {}
  void OnAck(uint64_t, ResourceType, absl::string_view, absl::Duration) override {}
  void OnNack(uint64_t, ResourceType, absl::string_view, absl::string_view) override {}
};

// Maps a node to its node group (the key of the snapshot it is served).
class NodeGrouper {
 public:
  virtual ~NodeGrouper() = default;
  virtual std::string GroupOf(const envoy::config::core::v3::Node& node) const = 0;
};

// Every node in one group.
class FixedNodeGrouper final : public NodeGrouper {
 public:
  explicit FixedNodeGrouper(std::string group) : group_(std::move(group)) {}
  std::string GroupOf(const envoy::config::core::v3::Node&) const override { return group_; }

 private:
  std::string group_;
};

// The node's `cluster` field is its group.
class ClusterNodeGrouper final : public NodeGrouper {
 public:
  std::string GroupOf(const envoy::config::core::v3::Node& node) const override {
    return node.cluster();
  }
};

}  // namespace strata::xds

#endif  // STRATA_CONTROLPLANE_XDS_CALLBACKS_H_

#include "dataplane/upstream/cluster.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "dataplane/upstream/health_checker.h"
#include "dataplane/upstream/outlier_detector.h"
#include "google/protobuf/util/message_differencer.h"

namespace strata::upstream {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;
using envoy::config::endpoint::v3::ClusterLoadAssignment;

absl::Status ValidateSocketAddress(const envoy::config::core::v3::Address& address,
                                   absl::string_view path, net::Address* out) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(address, {"socket_address"}, path));
  if (!address.has_socket_address()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": socket_address is required"));
  }
  const auto& sa = address.socket_address();
  const std::string sa_path = FieldPath(path, "socket_address");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(sa, {"address", "port_value", "protocol"}, sa_path));
  if (sa.protocol() != envoy::config::core::v3::SocketAddress::TCP) {
    return absl::InvalidArgumentError(absl::StrCat(sa_path, ".protocol: only TCP is supported"));
  }
  auto parsed = net::Address::FromIpPort(sa.address(), sa.port_value());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(sa_path, ": ", parsed.status().message(),
                     " (endpoints must be IP addresses; use EDS or a STATIC cluster)"));
  }
  if (sa.port_value() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(sa_path, ".port_value: must be set"));
  }
  *out = *parsed;
  return absl::OkStatus();
}

struct ParsedEndpoint {
  net::Address address;
  uint32_t weight;
  bool healthy;
};

absl::Status ParseAssignment(const ClusterLoadAssignment& assignment, absl::string_view path,
                             std::vector<ParsedEndpoint>* out) {
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(assignment, {"cluster_name", "endpoints", "policy"}, path));
  if (assignment.has_policy()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        assignment.policy(), {"overprovisioning_factor", "weighted_priority_health"},
        FieldPath(path, "policy")));
  }
  for (int i = 0; i < assignment.endpoints_size(); ++i) {
    const auto& locality = assignment.endpoints(i);
    const std::string lpath = absl::StrCat(path, ".endpoints[", i, "]");
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(
        locality, {"locality", "lb_endpoints", "load_balancing_weight", "priority", "metadata"},
        lpath));
    if (locality.priority() != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(lpath, ".priority: only priority 0 is supported"));
    }
    for (int j = 0; j < locality.lb_endpoints_size(); ++j) {
      const auto& lb = locality.lb_endpoints(j);
      const std::string epath = absl::StrCat(lpath, ".lb_endpoints[", j, "]");
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(
          lb, {"endpoint", "health_status", "load_balancing_weight", "metadata"}, epath));
      if (!lb.has_endpoint()) {
        return absl::InvalidArgumentError(absl::StrCat(epath, ".endpoint: is required"));
      }
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(lb.endpoint(), {"address", "hostname"},
                                                  FieldPath(epath, "endpoint")));
      ParsedEndpoint endpoint;
      STRATA_RETURN_IF_ERROR(ValidateSocketAddress(
          lb.endpoint().address(), FieldPath(epath, "endpoint.address"), &endpoint.address));
      endpoint.weight = lb.has_load_balancing_weight() ? lb.load_balancing_weight().value() : 1;
      if (endpoint.weight == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(epath, ".load_balancing_weight: must be at least 1"));
      }
      using HS = envoy::config::core::v3::HealthStatus;
      endpoint.healthy = lb.health_status() == HS::UNKNOWN || lb.health_status() == HS::HEALTHY;
      out->push_back(endpoint);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Cluster::ValidateAssignment(const ClusterLoadAssignment& assignment,
                                         absl::string_view path) {
  std::vector<ParsedEndpoint> endpoints;
  return ParseAssignment(assignment, path, &endpoints);
}

absl::StatusOr<ClusterConstSharedPtr> Cluster::Create(
    const envoy::config::cluster::v3::Cluster& config, const ClusterLoadAssignment* assignment,
    const Cluster* previous) {
  const std::string path = absl::StrCat("cluster \"", config.name(), "\"");
  if (config.name().empty()) return absl::InvalidArgumentError("cluster: name is required");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      config,
      {"name", "type", "eds_cluster_config", "connect_timeout", "per_connection_buffer_limit_bytes",
       "lb_policy", "load_assignment", "circuit_breakers", "common_lb_config",
       "least_request_lb_config", "metadata", "alt_stat_name", "outlier_detection", "health_checks",
       "transport_socket"},
      path));
  std::shared_ptr<Cluster> cluster(new Cluster());
  cluster->name_ = config.name();
  cluster->config_ = config;

  switch (config.type()) {
    case envoy::config::cluster::v3::Cluster::STATIC:
      if (assignment != nullptr) {
        return absl::InternalError(absl::StrCat(path, ": a STATIC cluster takes no EDS data"));
      }
      assignment = &config.load_assignment();
      break;
    case envoy::config::cluster::v3::Cluster::EDS:
      cluster->is_eds_ = true;
      if (config.has_load_assignment()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".load_assignment: not allowed on an EDS cluster"));
      }
      if (!config.has_eds_cluster_config()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".eds_cluster_config: required for type EDS"));
      }
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(config.eds_cluster_config(),
                                                  {"eds_config", "service_name"},
                                                  FieldPath(path, "eds_cluster_config")));
      if (!config.eds_cluster_config().eds_config().has_ads()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".eds_cluster_config.eds_config: only `ads: {}` is supported"));
      }
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".type: ", Cluster_DiscoveryType_Name(config.type()),
                       " is not supported (STATIC or EDS)"));
  }
  cluster->eds_service_name_ = config.eds_cluster_config().service_name().empty()
                                   ? config.name()
                                   : config.eds_cluster_config().service_name();

  switch (config.lb_policy()) {
    case envoy::config::cluster::v3::Cluster::ROUND_ROBIN:
      cluster->lb_policy_ = LbPolicy::kRoundRobin;
      break;
    case envoy::config::cluster::v3::Cluster::LEAST_REQUEST:
      cluster->lb_policy_ = LbPolicy::kLeastRequest;
      break;
    case envoy::config::cluster::v3::Cluster::RANDOM:
      cluster->lb_policy_ = LbPolicy::kRandom;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ".lb_policy: ", envoy::config::cluster::v3::Cluster::LbPolicy_Name(config.lb_policy()),
          " is not supported (ROUND_ROBIN, LEAST_REQUEST or RANDOM)"));
  }
  if (config.has_least_request_lb_config()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(config.least_request_lb_config(), {"choice_count"},
                                                FieldPath(path, "least_request_lb_config")));
    if (config.least_request_lb_config().has_choice_count()) {
      cluster->choice_count_ = config.least_request_lb_config().choice_count().value();
      if (cluster->choice_count_ < 2) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".least_request_lb_config.choice_count: must be at least 2"));
      }
    }
  }
  if (config.has_common_lb_config()) {
    STRATA_RETURN_IF_ERROR(CheckSupportedFields(config.common_lb_config(),
                                                {"healthy_panic_threshold"},
                                                FieldPath(path, "common_lb_config")));
    if (config.common_lb_config().has_healthy_panic_threshold()) {
      cluster->healthy_panic_threshold_ =
          config.common_lb_config().healthy_panic_threshold().value();
    }
  }
  if (config.has_connect_timeout()) {
    STRATA_RETURN_IF_ERROR(config::ToDuration(
        config.connect_timeout(), FieldPath(path, "connect_timeout"), &cluster->connect_timeout_));
    if (cluster->connect_timeout_ <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ".connect_timeout: must be greater than 0"));
    }
  }
  if (config.has_per_connection_buffer_limit_bytes()) {
    cluster->per_connection_buffer_limit_ = config.per_connection_buffer_limit_bytes().value();
    if (cluster->per_connection_buffer_limit_ < 1024) cluster->per_connection_buffer_limit_ = 1024;
  }
  if (config.has_circuit_breakers()) {
    const std::string cb_path = FieldPath(path, "circuit_breakers");
    STRATA_RETURN_IF_ERROR(
        CheckSupportedFields(config.circuit_breakers(), {"thresholds"}, cb_path));
    for (int i = 0; i < config.circuit_breakers().thresholds_size(); ++i) {
      const auto& t = config.circuit_breakers().thresholds(i);
      const std::string tpath = absl::StrCat(cb_path, ".thresholds[", i, "]");
      STRATA_RETURN_IF_ERROR(CheckSupportedFields(
          t, {"priority", "max_connections", "max_pending_requests", "max_requests", "max_retries"},
          tpath));
      if (t.priority() != envoy::config::core::v3::DEFAULT) continue;  // HIGH: unused
      auto& cb = cluster->circuit_breakers_;
      if (t.has_max_connections()) cb.max_connections = t.max_connections().value();
      if (t.has_max_pending_requests()) cb.max_pending_requests = t.max_pending_requests().value();
      if (t.has_max_requests()) cb.max_requests = t.max_requests().value();
      if (t.has_max_retries()) cb.max_retries = t.max_retries().value();
    }
  }
  if (!config.has_transport_socket()) {
    cluster->transport_ = UpstreamTransport::Plain();
  } else if (previous != nullptr && previous->config_.has_transport_socket() &&
             google::protobuf::util::MessageDifferencer::Equals(
                 previous->config_.transport_socket(), config.transport_socket())) {
    cluster->transport_ = previous->transport_;  // an EDS update: keep the TLS context
  } else {
    STRATA_ASSIGN_OR_RETURN(
        cluster->transport_,
        UpstreamTransport::Create(config.transport_socket(), FieldPath(path, "transport_socket")));
  }
  if (config.has_outlier_detection()) {
    STRATA_ASSIGN_OR_RETURN(OutlierConfig outlier,
                            OutlierDetector::ParseConfig(config.outlier_detection(),
                                                         FieldPath(path, "outlier_detection")));
    cluster->outlier_config_ = std::make_shared<const OutlierConfig>(outlier);
  }
  if (config.health_checks_size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".health_checks: at most one health check is supported (got ",
                     config.health_checks_size(), ")"));
  }
  if (config.health_checks_size() == 1) {
    STRATA_ASSIGN_OR_RETURN(HealthCheckConfig health_check,
                            HealthChecker::ParseConfig(config.health_checks(0), config.name(),
                                                       FieldPath(path, "health_checks[0]")));
    cluster->health_check_config_ =
        std::make_shared<const HealthCheckConfig>(std::move(health_check));
  }

  if (assignment != nullptr) {
    std::vector<ParsedEndpoint> endpoints;
    const std::string apath =
        config.type() == envoy::config::cluster::v3::Cluster::STATIC
            ? FieldPath(path, "load_assignment")
            : absl::StrCat("cluster_load_assignment \"", cluster->eds_service_name_, "\"");
    STRATA_RETURN_IF_ERROR(ParseAssignment(*assignment, apath, &endpoints));
    cluster->assignment_ = *assignment;
    // Reuse hosts of the previous version of this cluster when nothing about them changed.
    absl::flat_hash_map<std::string, HostSharedPtr> old_hosts;
    if (previous != nullptr) {
      for (const auto& host : previous->hosts_) old_hosts[host->address().ToString()] = host;
    }
    for (const auto& e : endpoints) {
      auto it = old_hosts.find(e.address.ToString());
      if (it != old_hosts.end() && it->second->weight() == e.weight &&
          it->second->eds_healthy() == e.healthy) {
        cluster->hosts_.push_back(it->second);
        old_hosts.erase(it);  // an address listed twice gets two hosts
      } else {
        cluster->hosts_.push_back(std::make_shared<Host>(e.address, e.weight, e.healthy));
      }
    }
  }
  return ClusterConstSharedPtr(std::move(cluster));
}

}  // namespace strata::upstream

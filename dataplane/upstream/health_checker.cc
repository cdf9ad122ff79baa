#include "dataplane/upstream/health_checker.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"
#include "dataplane/net/connection.h"
#include "dataplane/net/transport_socket.h"
#include "dataplane/upstream/load_balancer.h"

namespace strata::upstream {

namespace {

using config::CheckSupportedFields;
using config::FieldPath;
using envoy::config::core::v3::HealthCheck;

// The most read while looking for the status line.
constexpr size_t kMaxStatusLine = 1024;

absl::Status RequiredPositiveDuration(bool has, const google::protobuf::Duration& proto,
                                      absl::string_view path, absl::Duration* out) {
  if (!has) return absl::InvalidArgumentError(absl::StrCat(path, ": required"));
  STRATA_RETURN_IF_ERROR(config::ToDuration(proto, path, out));
  if (*out <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be positive"));
  }
  return absl::OkStatus();
}

absl::Status Threshold(bool has, const google::protobuf::UInt32Value& value, absl::string_view path,
                       uint32_t* out) {
  if (!has) return absl::InvalidArgumentError(absl::StrCat(path, ": required"));
  if (value.value() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be at least 1"));
  }
  *out = value.value();
  return absl::OkStatus();
}

// Visible ASCII only: no spaces, controls or line breaks can reach the request.
absl::Status RequestToken(absl::string_view value, absl::string_view path) {
  for (char c : value) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": only visible ASCII characters are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status StatusRanges(
    const google::protobuf::RepeatedPtrField<envoy::type::v3::Int64Range>& ranges,
    absl::string_view path, std::vector<std::pair<int64_t, int64_t>>* out) {
  for (int i = 0; i < ranges.size(); ++i) {
    const auto& r = ranges[i];
    const std::string rpath = absl::StrCat(path, "[", i, "]");
    if (r.start() >= r.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(rpath, ": empty range [", r.start(), ", ", r.end(), ")"));
    }
    if (r.start() < 100 || r.end() > 600) {
      return absl::InvalidArgumentError(
          absl::StrCat(rpath, ": [", r.start(), ", ", r.end(), ") is not within [100, 600)"));
    }
    out->emplace_back(r.start(), r.end());
  }
  return absl::OkStatus();
}

bool InRanges(const std::vector<std::pair<int64_t, int64_t>>& ranges, int status) {
  for (const auto& [start, end] : ranges) {
    if (status >= start && status < end) return true;
  }
  return false;
}

// "HTTP/1.x NNN[ reason]" (the line without its line break) → NNN.
std::optional<int> ParseStatusLine(absl::string_view line) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ') {
    return std::nullopt;
  }
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return std::nullopt;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) return std::nullopt;
  return status;
}

}  // namespace

// The checks of one host: one connection at a time, an interval timer and a timeout timer.
class HealthChecker::Session final : public net::ConnectionCallbacks {
 public:
  Session(HealthChecker& parent, HostSharedPtr host)
      : parent_(parent),
        host_(std::move(host)),
        interval_timer_(parent.dispatcher_.CreateTimer([this] { Start(); })),
        timeout_timer_(parent.dispatcher_.CreateTimer([this] { Finish(Outcome::kTimeout); })) {}
  ~Session() override { CloseConnection(); }

  void Schedule(absl::Duration after) { interval_timer_->Enable(after); }
  Host& host() { return *host_; }

  // Consecutive results, for the thresholds.
  uint32_t failures = 0;
  uint32_t successes = 0;

  void OnData(net::Buffer& data, bool end_stream) override {
    const size_t take = std::min(data.size(), kMaxStatusLine - response_.size());
    response_.append(data.data(), take);
    data.Drain(data.size());
    const size_t lf = response_.find('\n');
    if (lf != std::string::npos) {
      absl::string_view line(response_.data(), lf);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::optional<int> status = ParseStatusLine(line);
      Finish(status.has_value() ? parent_.Classify(*status) : Outcome::kBadResponse);
    } else if (response_.size() >= kMaxStatusLine) {
      Finish(Outcome::kBadResponse);
    } else if (end_stream) {
      Finish(Outcome::kClosedEarly);
    }
  }

  void OnEvent(net::ConnectionEvent event) override {
    switch (event) {
      case net::ConnectionEvent::kConnected:
        connected_ = true;
        break;
      case net::ConnectionEvent::kRemoteClose:
        Finish(connected_ ? Outcome::kClosedEarly : Outcome::kConnectFailed);
        break;
      case net::ConnectionEvent::kLocalClose:
        break;
    }
  }

 private:
  void Start() {
    ++parent_.stats_.attempts;
    response_.clear();
    connected_ = false;
    const UpstreamTransport& transport = *parent_.transport_;
    auto connection = net::Connection::CreateClient(
        parent_.dispatcher_, host_->address(),
        transport.NewSocket(transport.ProxyHeader(net::Address(), net::Address())));
    if (!connection.ok()) {
      Finish(Outcome::kConnectFailed);
      return;
    }
    connection_ = std::move(*connection);
    connection_->SetCallbacks(this);
    connection_->Write(parent_.request_);  // sent once connected
    timeout_timer_->Enable(parent_.config_.timeout);
  }

  void Finish(Outcome outcome) {
    timeout_timer_->Disable();
    CloseConnection();
    parent_.Record(*this, outcome);
    interval_timer_->Enable(parent_.NextInterval());
  }

  // Safe from inside the connection's own callbacks: it is destroyed after they return.
  void CloseConnection() {
    if (connection_ == nullptr) return;
    connection_->SetCallbacks(nullptr);
    connection_->Close(net::Connection::CloseType::kNoFlush);
    parent_.dispatcher_.DeferredDelete(std::move(connection_));
  }

  HealthChecker& parent_;
  const HostSharedPtr host_;
  const std::unique_ptr<event::Timer> interval_timer_;
  const std::unique_ptr<event::Timer> timeout_timer_;
  std::unique_ptr<net::Connection> connection_;
  std::string response_;
  bool connected_ = false;
};

absl::StatusOr<HealthCheckConfig> HealthChecker::ParseConfig(const HealthCheck& proto,
                                                             absl::string_view cluster_name,
                                                             absl::string_view path) {
  STRATA_RETURN_IF_ERROR(
      CheckSupportedFields(proto,
                           {"timeout", "interval", "unhealthy_threshold", "healthy_threshold",
                            "http_health_check", "no_traffic_interval", "reuse_connection"},
                           path));
  HealthCheckConfig config;
  STRATA_RETURN_IF_ERROR(RequiredPositiveDuration(proto.has_timeout(), proto.timeout(),
                                                  FieldPath(path, "timeout"), &config.timeout));
  STRATA_RETURN_IF_ERROR(RequiredPositiveDuration(proto.has_interval(), proto.interval(),
                                                  FieldPath(path, "interval"), &config.interval));
  if (proto.has_no_traffic_interval()) {
    absl::Duration no_traffic;
    STRATA_RETURN_IF_ERROR(RequiredPositiveDuration(
        true, proto.no_traffic_interval(), FieldPath(path, "no_traffic_interval"), &no_traffic));
    config.no_traffic_interval = no_traffic;
  }
  STRATA_RETURN_IF_ERROR(Threshold(proto.has_unhealthy_threshold(), proto.unhealthy_threshold(),
                                   FieldPath(path, "unhealthy_threshold"),
                                   &config.unhealthy_threshold));
  STRATA_RETURN_IF_ERROR(Threshold(proto.has_healthy_threshold(), proto.healthy_threshold(),
                                   FieldPath(path, "healthy_threshold"),
                                   &config.healthy_threshold));
  if (proto.has_reuse_connection() && proto.reuse_connection().value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(path, "reuse_connection"),
                     ": only false is supported (each check uses a new connection)"));
  }
  if (!proto.has_http_health_check()) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(path, "http_health_check"),
                     ": required (strata-proxy implements HTTP health checks only)"));
  }
  const auto& http = proto.http_health_check();
  const std::string http_path = FieldPath(path, "http_health_check");
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      http, {"host", "path", "expected_statuses", "retriable_statuses", "method"}, http_path));
  if (http.method() != envoy::config::core::v3::METHOD_UNSPECIFIED &&
      http.method() != envoy::config::core::v3::GET) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(http_path, "method"), ": only GET is supported"));
  }
  if (http.path().empty() || http.path()[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(http_path, "path"), ": must start with '/'"));
  }
  STRATA_RETURN_IF_ERROR(RequestToken(http.path(), FieldPath(http_path, "path")));
  config.path = http.path();
  config.host = http.host().empty() ? std::string(cluster_name) : http.host();
  STRATA_RETURN_IF_ERROR(RequestToken(
      config.host, http.host().empty() ? absl::StrCat(path, " (host from the cluster name)")
                                       : FieldPath(http_path, "host")));
  if (config.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(http_path, "host"), ": required when the cluster has no name"));
  }
  STRATA_RETURN_IF_ERROR(StatusRanges(http.expected_statuses(),
                                      FieldPath(http_path, "expected_statuses"),
                                      &config.expected_statuses));
  if (config.expected_statuses.empty()) config.expected_statuses.emplace_back(200, 201);
  STRATA_RETURN_IF_ERROR(StatusRanges(http.retriable_statuses(),
                                      FieldPath(http_path, "retriable_statuses"),
                                      &config.retriable_statuses));
  return config;
}

absl::StatusOr<std::unique_ptr<HealthChecker>> HealthChecker::Create(const HealthCheck& proto,
                                                                     absl::string_view cluster_name,
                                                                     event::Dispatcher& dispatcher,
                                                                     absl::string_view path) {
  STRATA_ASSIGN_OR_RETURN(HealthCheckConfig config, ParseConfig(proto, cluster_name, path));
  return std::unique_ptr<HealthChecker>(new HealthChecker(std::move(config), dispatcher));
}

HealthChecker::HealthChecker(HealthCheckConfig config, event::Dispatcher& dispatcher)
    : config_(std::move(config)),
      dispatcher_(dispatcher),
      request_(absl::StrCat("GET ", config_.path, " HTTP/1.1\r\nHost: ", config_.host,
                            "\r\nConnection: close\r\n\r\n")) {}

HealthChecker::~HealthChecker() = default;

void HealthChecker::SetHosts(const std::vector<HostSharedPtr>& hosts) {
  absl::flat_hash_map<const Host*, std::unique_ptr<Session>> next;
  for (const HostSharedPtr& host : hosts) {
    if (host == nullptr || next.contains(host.get())) continue;
    auto it = sessions_.find(host.get());
    if (it != sessions_.end()) {
      next[host.get()] = std::move(it->second);
      continue;
    }
    auto session = std::make_unique<Session>(*this, host);
    session->Schedule(absl::ZeroDuration());
    next[host.get()] = std::move(session);
  }
  sessions_.swap(next);
  // `next` now holds the sessions of removed hosts; they close their connections here.
}

absl::Duration HealthChecker::NextInterval() const {
  if (config_.no_traffic_interval.has_value() && !traffic_seen_.load(std::memory_order_relaxed)) {
    return *config_.no_traffic_interval;
  }
  return config_.interval;
}

HealthChecker::Outcome HealthChecker::Classify(int status) const {
  if (InRanges(config_.expected_statuses, status)) return Outcome::kSuccess;
  if (InRanges(config_.retriable_statuses, status)) return Outcome::kRetriableStatus;
  return Outcome::kUnexpectedStatus;
}

void HealthChecker::Record(Session& session, Outcome outcome) {
  Host& host = session.host();
  const bool failed = (host.flags() & Host::kFailedActiveHealthCheck) != 0;
  if (outcome == Outcome::kSuccess) {
    ++stats_.successes;
    session.failures = 0;
    if (failed && ++session.successes >= config_.healthy_threshold) {
      session.successes = 0;
      SetHostFlag(host, Host::kFailedActiveHealthCheck, false);
    }
    return;
  }
  ++stats_.failures;
  switch (outcome) {
    case Outcome::kSuccess:
      break;
    case Outcome::kUnexpectedStatus:
      ++stats_.unexpected_statuses;
      break;
    case Outcome::kRetriableStatus:
      ++stats_.retriable_statuses;
      break;
    case Outcome::kTimeout:
      ++stats_.timeouts;
      break;
    case Outcome::kConnectFailed:
      ++stats_.connect_failures;
      break;
    case Outcome::kClosedEarly:
      ++stats_.closed_early;
      break;
    case Outcome::kBadResponse:
      ++stats_.bad_responses;
      break;
  }
  session.successes = 0;
  if (!failed && (outcome == Outcome::kUnexpectedStatus ||
                  ++session.failures >= config_.unhealthy_threshold)) {
    session.failures = 0;
    SetHostFlag(host, Host::kFailedActiveHealthCheck, true);
  }
}

}  // namespace strata::upstream

#include "dataplane/upstream/outlier_detector.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dataplane/config/proto_fields.h"

namespace strata::upstream {

using envoy::config::cluster::v3::OutlierDetection;

// Per-host state. The counters are bumped by workers; the rest belongs to the dispatcher
// thread.
struct OutlierDetector::Monitor {
  explicit Monitor(HostSharedPtr h) : host(std::move(h)) {}

  const HostSharedPtr host;
  std::atomic<uint32_t> consecutive_5xx{0};
  std::atomic<uint32_t> consecutive_gateway{0};
  std::atomic<uint32_t> consecutive_local{0};

  bool removed = false;
  bool ejected = false;
  uint32_t multiplier = 0;
  event::MonoTime ejected_at{};
  bool has_unejected_at = false;
  event::MonoTime unejected_at{};
};

// An immutable snapshot of the watched hosts, read by workers.
struct OutlierDetector::Table {
  absl::flat_hash_map<const Host*, std::shared_ptr<Monitor>> monitors;
};

// Marks the calling worker as reading the current table until destroyed. A table replaced by
// SetHosts() is freed only after each of the two reader counts has been seen at zero after the
// replacement: a reader that still holds it is counted in one of them.
class OutlierDetector::ReadGuard {
 public:
  explicit ReadGuard(OutlierDetector& detector)
      : count_(detector.readers_[detector.epoch_.load(std::memory_order_acquire) & 1].value) {
    count_.fetch_add(1, std::memory_order_seq_cst);
    table_ = detector.table_.load(std::memory_order_seq_cst);
  }
  ~ReadGuard() { count_.fetch_sub(1, std::memory_order_release); }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

  const Table* table() const { return table_; }

 private:
  std::atomic<int64_t>& count_;
  const Table* table_ = nullptr;
};

namespace {

using config::CheckSupportedFields;
using config::FieldPath;

absl::Status PositiveDuration(const google::protobuf::Duration& proto, absl::string_view path,
                              absl::Duration* out) {
  STRATA_RETURN_IF_ERROR(config::ToDuration(proto, path, out));
  if (*out <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be positive"));
  }
  return absl::OkStatus();
}

absl::Status Percent(const google::protobuf::UInt32Value& value, absl::string_view path,
                     uint32_t* out) {
  if (value.value() > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", value.value(), " is not a percentage (0 to 100)"));
  }
  *out = value.value();
  return absl::OkStatus();
}

// Counts one failure; true when this one reached `threshold` (exactly once per streak).
bool CountFailure(std::atomic<uint32_t>& counter, uint32_t threshold) {
  const uint32_t now = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  return threshold != 0 && now == threshold;
}

void Reset(std::atomic<uint32_t>& counter) {
  // Skip the store when already zero: successes are the common case and a plain load keeps
  // the cache line shared between workers.
  if (counter.load(std::memory_order_relaxed) != 0) counter.store(0, std::memory_order_relaxed);
}

}  // namespace

OutlierDetector::ResultKind OutlierDetector::ResultKindForStatus(int status) {
  if (status == 502 || status == 503 || status == 504) return ResultKind::kGatewayError;
  if (status >= 500 && status <= 599) return ResultKind::kServerError;
  return ResultKind::kSuccess;
}

absl::StatusOr<OutlierConfig> OutlierDetector::ParseConfig(const OutlierDetection& proto,
                                                           absl::string_view path) {
  STRATA_RETURN_IF_ERROR(CheckSupportedFields(
      proto,
      {"consecutive_5xx", "consecutive_gateway_failure", "consecutive_local_origin_failure",
       "enforcing_consecutive_5xx", "enforcing_consecutive_gateway_failure",
       "enforcing_consecutive_local_origin_failure", "split_external_local_origin_errors",
       "interval", "base_ejection_time", "max_ejection_time", "max_ejection_percent",
       "always_eject_one_host"},
      path));
  OutlierConfig config;
  if (proto.has_consecutive_5xx()) config.consecutive_5xx = proto.consecutive_5xx().value();
  if (proto.has_consecutive_gateway_failure()) {
    config.consecutive_gateway_failure = proto.consecutive_gateway_failure().value();
  }
  if (proto.has_consecutive_local_origin_failure()) {
    config.consecutive_local_origin_failure = proto.consecutive_local_origin_failure().value();
  }
  if (proto.has_enforcing_consecutive_5xx()) {
    STRATA_RETURN_IF_ERROR(Percent(proto.enforcing_consecutive_5xx(),
                                   FieldPath(path, "enforcing_consecutive_5xx"),
                                   &config.enforcing_consecutive_5xx));
  }
  if (proto.has_enforcing_consecutive_gateway_failure()) {
    STRATA_RETURN_IF_ERROR(Percent(proto.enforcing_consecutive_gateway_failure(),
                                   FieldPath(path, "enforcing_consecutive_gateway_failure"),
                                   &config.enforcing_consecutive_gateway_failure));
  }
  if (proto.has_enforcing_consecutive_local_origin_failure()) {
    STRATA_RETURN_IF_ERROR(Percent(proto.enforcing_consecutive_local_origin_failure(),
                                   FieldPath(path, "enforcing_consecutive_local_origin_failure"),
                                   &config.enforcing_consecutive_local_origin_failure));
  }
  if (proto.has_max_ejection_percent()) {
    STRATA_RETURN_IF_ERROR(Percent(proto.max_ejection_percent(),
                                   FieldPath(path, "max_ejection_percent"),
                                   &config.max_ejection_percent));
  }
  config.split_external_local_origin_errors = proto.split_external_local_origin_errors();
  if (proto.has_always_eject_one_host()) {
    config.always_eject_one_host = proto.always_eject_one_host().value();
  }
  if (proto.has_interval()) {
    STRATA_RETURN_IF_ERROR(
        PositiveDuration(proto.interval(), FieldPath(path, "interval"), &config.interval));
  }
  if (proto.has_base_ejection_time()) {
    STRATA_RETURN_IF_ERROR(PositiveDuration(proto.base_ejection_time(),
                                            FieldPath(path, "base_ejection_time"),
                                            &config.base_ejection_time));
  }
  if (proto.has_max_ejection_time()) {
    STRATA_RETURN_IF_ERROR(PositiveDuration(proto.max_ejection_time(),
                                            FieldPath(path, "max_ejection_time"),
                                            &config.max_ejection_time));
    if (config.max_ejection_time < config.base_ejection_time) {
      return absl::InvalidArgumentError(absl::StrCat(
          FieldPath(path, "max_ejection_time"), ": ",
          absl::FormatDuration(config.max_ejection_time), " is shorter than base_ejection_time (",
          absl::FormatDuration(config.base_ejection_time), ")"));
    }
  } else {
    config.max_ejection_time = std::max(absl::Seconds(300), config.base_ejection_time);
  }
  return config;
}

absl::StatusOr<std::unique_ptr<OutlierDetector>> OutlierDetector::Create(
    const OutlierDetection& proto, event::Dispatcher& dispatcher, absl::string_view path,
    uint64_t random_seed) {
  STRATA_ASSIGN_OR_RETURN(const OutlierConfig config, ParseConfig(proto, path));
  return std::unique_ptr<OutlierDetector>(new OutlierDetector(config, dispatcher, random_seed));
}

OutlierDetector::OutlierDetector(const OutlierConfig& config, event::Dispatcher& dispatcher,
                                 uint64_t random_seed)
    : config_(config),
      dispatcher_(dispatcher),
      self_(std::make_shared<OutlierDetector*>(this)),
      random_(random_seed) {
  table_.store(new Table(), std::memory_order_release);
  interval_timer_ = dispatcher_.CreateTimer([this] { OnInterval(); });
  interval_timer_->Enable(config_.interval);
}

OutlierDetector::~OutlierDetector() {
  interval_timer_.reset();
  self_.reset();  // callbacks still queued on the dispatcher become no-ops
  // No worker reads any more (see the class comment).
  for (const Table* table : retired_) delete table;
  for (const Table* table : grace_) delete table;
  delete table_.load(std::memory_order_acquire);
}

void OutlierDetector::SetHosts(const std::vector<HostSharedPtr>& hosts) {
  const Table* old = table_.load(std::memory_order_relaxed);  // only this thread stores
  auto fresh = std::make_unique<Table>();
  for (const HostSharedPtr& host : hosts) {
    if (host == nullptr) continue;
    auto it = old->monitors.find(host.get());
    fresh->monitors[host.get()] =
        it != old->monitors.end() ? it->second : std::make_shared<Monitor>(host);
  }
  for (const auto& [host, monitor] : old->monitors) {
    if (fresh->monitors.contains(host)) continue;
    if (monitor->ejected) {
      monitor->ejected = false;
      --stats_.ejections_active;
      SetHostFlag(*monitor->host, Host::kOutlierEjected, false);
    }
    monitor->removed = true;
  }
  table_.store(fresh.release(), std::memory_order_seq_cst);
  retired_.push_back(old);
  Reclaim();
}

void OutlierDetector::Reclaim() {
  if (grace_.empty()) {
    if (retired_.empty()) return;
    grace_.swap(retired_);
    seen_zero_[0] = seen_zero_[1] = false;
  }
  // Every table in grace_ was replaced before this point. Watch the count new readers no
  // longer join until it reads zero, then send new readers to it and watch the other.
  for (int step = 0; step < 2; ++step) {
    const uint32_t current = epoch_.load(std::memory_order_relaxed) & 1;  // only we store it
    const uint32_t draining = current ^ 1;
    if (!seen_zero_[draining] && readers_[draining].value.load(std::memory_order_seq_cst) == 0) {
      seen_zero_[draining] = true;
    }
    if (!seen_zero_[draining] || seen_zero_[current]) break;
    epoch_.fetch_add(1, std::memory_order_seq_cst);
  }
  if (!seen_zero_[0] || !seen_zero_[1]) return;
  for (const Table* table : grace_) delete table;
  grace_.clear();
  if (!retired_.empty()) Reclaim();
}

void OutlierDetector::RecordResult(Host& host, ResultKind result) {
  const ReadGuard guard(*this);
  const auto it = guard.table()->monitors.find(&host);
  if (it == guard.table()->monitors.end()) return;
  const std::shared_ptr<Monitor>& monitor = it->second;
  Monitor& m = *monitor;
  const bool local_failure = result == ResultKind::kConnectFailed ||
                             result == ResultKind::kTimeout || result == ResultKind::kReset;
  if (config_.split_external_local_origin_errors) {
    if (local_failure) {
      if (CountFailure(m.consecutive_local, config_.consecutive_local_origin_failure)) {
        Trigger(monitor, EjectionType::kLocalOriginFailure);
      }
      return;
    }
    // The connection worked.
    Reset(m.consecutive_local);
    if (result == ResultKind::kConnectSuccess) return;
  } else if (result == ResultKind::kConnectSuccess) {
    return;  // says nothing about the responses
  }
  if (result == ResultKind::kSuccess) {
    Reset(m.consecutive_5xx);
    Reset(m.consecutive_gateway);
    return;
  }
  if (result == ResultKind::kServerError) {
    Reset(m.consecutive_gateway);
  } else if (CountFailure(m.consecutive_gateway, config_.consecutive_gateway_failure)) {
    // A gateway error, or a local-origin failure taken as one.
    Trigger(monitor, EjectionType::kConsecutiveGatewayFailure);
  }
  if (CountFailure(m.consecutive_5xx, config_.consecutive_5xx)) {
    Trigger(monitor, EjectionType::kConsecutive5xx);
  }
}

void OutlierDetector::Trigger(const std::shared_ptr<Monitor>& monitor, EjectionType type) {
  dispatcher_.Post([self = std::weak_ptr<OutlierDetector*>(self_), monitor, type] {
    const std::shared_ptr<OutlierDetector*> detector = self.lock();
    if (detector != nullptr) (*detector)->OnThresholdReached(*monitor, type);
  });
}

size_t OutlierDetector::AllowedEjections(size_t hosts) const {
  size_t allowed = hosts * config_.max_ejection_percent / 100;
  if (allowed == 0 && hosts > 0 &&
      (config_.max_ejection_percent > 0 || config_.always_eject_one_host)) {
    allowed = 1;
  }
  return allowed;
}

void OutlierDetector::OnThresholdReached(Monitor& monitor, EjectionType type) {
  if (monitor.removed) return;
  uint32_t enforcing = 0;
  switch (type) {
    case EjectionType::kConsecutive5xx:
      monitor.consecutive_5xx.store(0, std::memory_order_relaxed);
      enforcing = config_.enforcing_consecutive_5xx;
      break;
    case EjectionType::kConsecutiveGatewayFailure:
      monitor.consecutive_gateway.store(0, std::memory_order_relaxed);
      enforcing = config_.enforcing_consecutive_gateway_failure;
      break;
    case EjectionType::kLocalOriginFailure:
      monitor.consecutive_local.store(0, std::memory_order_relaxed);
      enforcing = config_.enforcing_consecutive_local_origin_failure;
      break;
  }
  if (monitor.ejected) return;
  switch (type) {
    case EjectionType::kConsecutive5xx:
      ++stats_.ejections_detected_consecutive_5xx;
      break;
    case EjectionType::kConsecutiveGatewayFailure:
      ++stats_.ejections_detected_consecutive_gateway_failure;
      break;
    case EjectionType::kLocalOriginFailure:
      ++stats_.ejections_detected_consecutive_local_origin_failure;
      break;
  }
  if (enforcing == 0 || (enforcing < 100 && random_.Next() % 100 >= enforcing)) return;
  const size_t hosts = table_.load(std::memory_order_relaxed)->monitors.size();
  if (stats_.ejections_active + 1 > AllowedEjections(hosts)) {
    ++stats_.ejections_overflow;
    return;
  }
  if (config_.base_ejection_time * monitor.multiplier < config_.max_ejection_time) {
    ++monitor.multiplier;
  }
  monitor.ejected = true;
  monitor.ejected_at = dispatcher_.Now();
  ++stats_.ejections_active;
  ++stats_.ejections_enforced_total;
  switch (type) {
    case EjectionType::kConsecutive5xx:
      ++stats_.ejections_enforced_consecutive_5xx;
      break;
    case EjectionType::kConsecutiveGatewayFailure:
      ++stats_.ejections_enforced_consecutive_gateway_failure;
      break;
    case EjectionType::kLocalOriginFailure:
      ++stats_.ejections_enforced_consecutive_local_origin_failure;
      break;
  }
  SetHostFlag(*monitor.host, Host::kOutlierEjected, true);
}

void OutlierDetector::Uneject(Monitor& monitor) {
  monitor.ejected = false;
  monitor.has_unejected_at = true;
  monitor.unejected_at = dispatcher_.Now();
  --stats_.ejections_active;
  // A fresh start: failures seen while ejected (in panic mode) do not carry over.
  monitor.consecutive_5xx.store(0, std::memory_order_relaxed);
  monitor.consecutive_gateway.store(0, std::memory_order_relaxed);
  monitor.consecutive_local.store(0, std::memory_order_relaxed);
  SetHostFlag(*monitor.host, Host::kOutlierEjected, false);
}

void OutlierDetector::OnInterval() {
  const event::MonoTime now = dispatcher_.Now();
  const auto interval = absl::ToChronoNanoseconds(config_.interval);
  for (const auto& [host, monitor] : table_.load(std::memory_order_relaxed)->monitors) {
    Monitor& m = *monitor;
    if (m.ejected) {
      const absl::Duration ejection_time =
          std::min(config_.base_ejection_time * m.multiplier, config_.max_ejection_time);
      if (now - m.ejected_at >= absl::ToChronoNanoseconds(ejection_time)) Uneject(m);
    } else if (m.multiplier > 0 && m.has_unejected_at && now - m.unejected_at >= interval) {
      --m.multiplier;
    }
  }
  Reclaim();
  interval_timer_->Enable(config_.interval);
}

std::shared_ptr<void> OutlierDetector::HoldReaderForTest() {
  return std::make_shared<ReadGuard>(*this);
}

uint32_t OutlierDetector::EjectionMultiplier(const Host& host) const {
  const Table* table = table_.load(std::memory_order_relaxed);
  const auto it = table->monitors.find(&host);
  return it == table->monitors.end() ? 0 : it->second->multiplier;
}

}  // namespace strata::upstream

#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace strata {
namespace metrics_internal {
namespace {

// Metrics are defined by code, so a bad definition is a bug: report it and stop.
[[noreturn]] void Die(std::string_view message) {
  STRATA_LOG(ERROR) << "metrics: " << message;
  std::abort();
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || IsDigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || IsDigit(name[0]) || name.substr(0, 2) == "__") return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
}

void CheckDefinition(Kind kind, const std::string& name, const std::vector<std::string>& labels) {
  if (!IsValidMetricName(name)) Die(absl::StrCat("invalid metric name \"", name, "\""));
  std::set<std::string_view> seen;
  for (const std::string& label : labels) {
    if (!IsValidLabelName(label)) {
      Die(absl::StrCat(name, ": invalid label name \"", label, "\""));
    }
    if (kind == Kind::kHistogram && label == "le")
      Die(absl::StrCat(name, ": label \"le\" is reserved for buckets"));
    if (!seen.insert(label).second) Die(absl::StrCat(name, ": repeated label \"", label, "\""));
  }
}

void CheckBounds(const std::string& name, const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Die(absl::StrCat(name, ": bucket bounds must be finite and strictly increasing"));
    }
  }
}

void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `a="x",b="y"`
std::string RenderLabels(const std::vector<std::string>& names,
                         const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, names[i], "=\"");
    AppendEscaped(out, values[i], /*escape_quote=*/true);
    out += '"';
  }
  return out;
}

// Prometheus float syntax: integers without exponent or point where exact, otherwise the
// shortest text that reads back to the same double.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, result.ptr);
}

// `name_suffix{labels,extra} value\n`
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view labels, std::string_view extra_label, std::string_view value) {
  out.append(name).append(suffix);
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra_label.empty()) out += ',';
    out += extra_label;
    out += '}';
  }
  out.append(" ").append(value).append("\n");
}

// A gauge computed at render time.
class CallbackGaugeFamily final : public Family {
 public:
  CallbackGaugeFamily(std::string name, std::string help, std::vector<std::string> label_names,
                      std::function<std::vector<GaugeSample>()> samples)
      : Family(Kind::kCallbackGauge, std::move(name), std::move(help), std::move(label_names)),
        samples_(std::move(samples)) {}

  void AppendSamples(std::string& out) const override {
    absl::MutexLock lock(&mu_);
    if (!samples_) return;
    std::vector<GaugeSample> samples = samples_();
    std::erase_if(samples, [this](const GaugeSample& sample) {
      return sample.label_values.size() != label_names().size();
    });
    std::stable_sort(samples.begin(), samples.end(),
                     [](const auto& a, const auto& b) { return a.label_values < b.label_values; });
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i > 0 && samples[i].label_values == samples[i - 1].label_values) continue;
      AppendSample(out, name(), "", RenderLabels(label_names(), samples[i].label_values), "",
                   FormatValue(samples[i].value));
    }
  }

  // After this returns the callback is neither running nor called again.
  void Retire() {
    absl::MutexLock lock(&mu_);
    samples_ = nullptr;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<std::vector<GaugeSample>()> samples_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

Family::Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

}  // namespace metrics_internal

using metrics_internal::AppendSample;
using metrics_internal::FormatValue;
using metrics_internal::Kind;

void Counter::AppendSamples(std::string& out, std::string_view name,
                            std::string_view labels) const {
  AppendSample(out, name, "", labels, "", absl::StrCat(Value()));
}

void Gauge::AppendSamples(std::string& out, std::string_view name, std::string_view labels) const {
  AppendSample(out, name, "", labels, "", FormatValue(Value()));
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t bucket = std::isnan(value)
                      ? bounds_.size()
                      : std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  uint64_t count = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) count += counts_[i].load(std::memory_order_relaxed);
  return count;
}

void Histogram::AppendSamples(std::string& out, std::string_view name,
                              std::string_view labels) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
    AppendSample(out, name, "_bucket", labels, absl::StrCat("le=\"", le, "\""),
                 absl::StrCat(cumulative));
  }
  AppendSample(out, name, "_sum", labels, "", FormatValue(Sum()));
  AppendSample(out, name, "_count", labels, "", absl::StrCat(cumulative));
}

template <typename Metric>
MetricFamily<Metric>::MetricFamily(std::string name, std::string help,
                                   std::vector<std::string> label_names, std::vector<double> bounds)
    : Family(kKind, std::move(name), std::move(help), std::move(label_names)),
      bounds_(std::move(bounds)) {
  if (this->label_names().empty()) {
    absl::MutexLock lock(&mu_);
    series_[{}].reset(NewSeries());
  }
}

template <typename Metric>
Metric* MetricFamily<Metric>::NewSeries() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return new Metric(bounds_);
  } else {
    return new Metric();
  }
}

template <typename Metric>
Metric& MetricFamily<Metric>::WithLabels(absl::Span<const std::string_view> label_values) {
  if (label_values.size() != label_names().size()) {
    metrics_internal::Die(absl::StrCat(name(), ": ", label_values.size(),
                                       " label values for labels (",
                                       absl::StrJoin(label_names(), ","), ")"));
  }
  std::vector<std::string> key(label_values.begin(), label_values.end());
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Metric>& series = series_[std::move(key)];
  if (series == nullptr) series.reset(NewSeries());
  return *series;
}

template <typename Metric>
void MetricFamily<Metric>::AppendSamples(std::string& out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [label_values, series] : series_) {
    series->AppendSamples(out, name(), metrics_internal::RenderLabels(label_names(), label_values));
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    metrics_internal::Die("ExponentialBuckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (int i = 0; i < count; ++i) {
    bounds.push_back(start);
    start *= factor;
  }
  return bounds;
}

template <typename Metric>
MetricFamily<Metric>* MetricsRegistry::AddFamily(std::string name, std::string help,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds) {
  metrics_internal::CheckDefinition(MetricFamily<Metric>::kKind, name, label_names);
  metrics_internal::CheckBounds(name, bounds);
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    const metrics_internal::Family& existing = *it->second;
    if (existing.kind() != MetricFamily<Metric>::kKind || existing.help() != help ||
        existing.label_names() != label_names ||
        static_cast<const MetricFamily<Metric>&>(existing).bounds_ != bounds) {
      metrics_internal::Die(absl::StrCat(name, ": already defined differently"));
    }
    return static_cast<MetricFamily<Metric>*>(it->second.get());
  }
  auto* family = new MetricFamily<Metric>(std::move(name), std::move(help), std::move(label_names),
                                          std::move(bounds));
  families_.emplace(family->name(), std::shared_ptr<metrics_internal::Family>(family));
  return family;
}

CounterFamily* MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  return AddFamily<Counter>(std::move(name), std::move(help), std::move(label_names), {});
}

GaugeFamily* MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  return AddFamily<Gauge>(std::move(name), std::move(help), std::move(label_names), {});
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<double> bounds,
                                               std::vector<std::string> label_names) {
  return AddFamily<Histogram>(std::move(name), std::move(help), std::move(label_names),
                              std::move(bounds));
}

void MetricsRegistry::AddCallbackGauge(std::string name, std::string help,
                                       std::function<double()> value) {
  if (!value) metrics_internal::Die(absl::StrCat(name, ": empty callback"));
  AddCallbackGauge(std::move(name), std::move(help), {}, [value = std::move(value)] {
    return std::vector<GaugeSample>{{{}, value()}};
  });
}

void MetricsRegistry::AddCallbackGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::function<std::vector<GaugeSample>()> samples) {
  metrics_internal::CheckDefinition(Kind::kCallbackGauge, name, label_names);
  if (!samples) metrics_internal::Die(absl::StrCat(name, ": empty callback"));
  absl::MutexLock lock(&mu_);
  if (families_.count(name) > 0) metrics_internal::Die(absl::StrCat(name, ": already defined"));
  auto family = std::make_shared<metrics_internal::CallbackGaugeFamily>(
      name, std::move(help), std::move(label_names), std::move(samples));
  families_.emplace(std::move(name), std::move(family));
}

void MetricsRegistry::RemoveCallbackGauge(std::string_view name) {
  std::shared_ptr<metrics_internal::Family> family;
  {
    absl::MutexLock lock(&mu_);
    auto it = families_.find(name);
    if (it == families_.end() || it->second->kind() != Kind::kCallbackGauge) return;
    family = std::move(it->second);
    families_.erase(it);
  }
  // Outside mu_, so waiting here for a running callback cannot deadlock with a callback that
  // uses the registry.
  static_cast<metrics_internal::CallbackGaugeFamily&>(*family).Retire();
}

std::string MetricsRegistry::Render() const {
  std::vector<std::shared_ptr<metrics_internal::Family>> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family);
  }
  std::string out;
  for (const auto& family : families) {
    if (!family->help().empty()) {
      absl::StrAppend(&out, "# HELP ", family->name(), " ");
      metrics_internal::AppendEscaped(out, family->help(), /*escape_quote=*/false);
      out += '\n';
    }
    const char* type = "gauge";
    if (family->kind() == Kind::kCounter) type = "counter";
    if (family->kind() == Kind::kHistogram) type = "histogram";
    absl::StrAppend(&out, "# TYPE ", family->name(), " ", type, "\n");
    family->AppendSamples(out);
  }
  return out;
}

}  // namespace strata

#ifndef STRATA_COMMON_METRICS_H_
#define STRATA_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

// A small Prometheus metrics registry.
//
//   MetricsRegistry registry;
//   CounterFamily* pushes =
//       registry.AddCounter("strata_xds_pushes_total", "xDS responses sent.", {"type_url"});
//   Counter& cds_pushes = pushes->WithLabels({kClusterType});  // stable; cache it
//   cds_pushes.Increment();
//   std::string text = registry.Render();  // text exposition format 0.0.4
//
// Families are created once, with a fixed list of label names; WithLabels() returns a
// reference that stays valid for the registry's lifetime. Updating a metric is a relaxed
// atomic operation. Defining metrics wrongly (bad names, a name reused with a different
// definition, the wrong number of label values) is a programming error and aborts.
namespace strata {

namespace metrics_internal {

enum class Kind { kCounter, kGauge, kHistogram, kCallbackGauge };

// One metric family as seen by the registry.
class Family {
 public:
  Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  Kind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends every sample line (no # HELP / # TYPE) to `out`.
  virtual void AppendSamples(std::string& out) const = 0;

 private:
  const Kind kind_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

}  // namespace metrics_internal

template <typename Metric>
class MetricFamily;

// A monotonically increasing count.
class Counter {
 public:
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricFamily<Counter>;
  static constexpr metrics_internal::Kind kKind = metrics_internal::Kind::kCounter;
  Counter() = default;
  void AppendSamples(std::string& out, std::string_view name, std::string_view labels) const;

  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Sub(double delta) { value_.fetch_sub(delta, std::memory_order_relaxed); }
  void Increment() { Add(1); }
  void Decrement() { Sub(1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class MetricFamily<Gauge>;
  static constexpr metrics_internal::Kind kKind = metrics_internal::Kind::kGauge;
  Gauge() = default;
  void AppendSamples(std::string& out, std::string_view name, std::string_view labels) const;

  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets; rendered as cumulative name_bucket{le="..."}
// series plus name_sum and name_count.
class Histogram {
 public:
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `value` in the first bucket whose upper bound is >= value (NaN: the +Inf bucket).
  void Observe(double value);
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  friend class MetricFamily<Histogram>;
  static constexpr metrics_internal::Kind kKind = metrics_internal::Kind::kHistogram;
  explicit Histogram(const std::vector<double>& bounds);
  void AppendSamples(std::string& out, std::string_view name, std::string_view labels) const;

  const std::vector<double> bounds_;
  // counts_[i]: observations in (bounds_[i-1], bounds_[i]]; the last one is the +Inf bucket.
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// All series of one metric: one per distinct set of label values.
template <typename Metric>
class MetricFamily final : public metrics_internal::Family {
 public:
  // The series for these label values (one per label name, in order), created on first use.
  // The reference stays valid for the registry's lifetime, so hot paths can keep it.
  Metric& WithLabels(absl::Span<const std::string_view> label_values);

  void AppendSamples(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  static constexpr metrics_internal::Kind kKind = Metric::kKind;
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> bounds);
  Metric* NewSeries() const;

  const std::vector<double> bounds_;  // histograms only
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
extern template class MetricFamily<Histogram>;

// One sample produced by a labeled callback gauge.
struct GaugeSample {
  std::vector<std::string> label_values;
  double value = 0;
};

// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1, count >= 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each returns the family `name`, creating it if needed. Asking again with the same
  // definition returns the same family; a different definition aborts. The pointer stays
  // valid for the registry's lifetime. A family without labels renders its single series
  // from the start.
  CounterFamily* AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily* AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily* AddHistogram(std::string name, std::string help, std::vector<double> bounds,
                                std::vector<std::string> label_names = {});

  // A gauge whose value is computed by `value` at every Render(), on the rendering thread
  // and with no registry lock held (renders of one callback gauge are serialised). `name`
  // must not be in use. The callback must not remove itself.
  void AddCallbackGauge(std::string name, std::string help, std::function<double()> value);
  // As above, with labels: `samples` returns one sample per series, each with one value per
  // label name. Samples with the wrong number of label values, and repeated label value sets,
  // are dropped.
  void AddCallbackGauge(std::string name, std::string help, std::vector<std::string> label_names,
                        std::function<std::vector<GaugeSample>()> samples);
  // Removes a callback gauge. Once this returns the callback is not running and will not be
  // called again, so its owner can go away. Owners must call it before the callback's state
  // is destroyed. No-op if `name` is not a callback gauge.
  void RemoveCallbackGauge(std::string_view name);

  // Every family, sorted by name, in Prometheus text exposition format 0.0.4.
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  template <typename Metric>
  MetricFamily<Metric>* AddFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  mutable absl::Mutex mu_;
  // shared_ptr: Render() works on a snapshot taken under mu_, so a removed callback gauge
  // outlives its map entry until the render using it finishes.
  std::map<std::string, std::shared_ptr<metrics_internal::Family>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata

#endif  // STRATA_COMMON_METRICS_H_

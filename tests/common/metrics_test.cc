#include "common/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MetricsTest, EmptyRegistryRendersNothing) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsTest, UnlabeledCounterRendersFromTheStart) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("strata_starts_total", "Starts.");
  EXPECT_EQ(registry.Render(),
            "# HELP strata_starts_total Starts.\n"
            "# TYPE strata_starts_total counter\n"
            "strata_starts_total 0\n");
  family->WithLabels({}).Increment();
  family->WithLabels({}).Increment(41);
  EXPECT_EQ(family->WithLabels({}).Value(), 42u);
  EXPECT_THAT(registry.Render(), HasSubstr("\nstrata_starts_total 42\n"));
}

TEST(MetricsTest, LabeledCounterSeriesAreSortedAndStable) {
  MetricsRegistry registry;
  CounterFamily* pushes =
      registry.AddCounter("strata_xds_pushes_total", "xDS pushes.", {"type_url", "group"});
  EXPECT_EQ(registry.Render(),
            "# HELP strata_xds_pushes_total xDS pushes.\n"
            "# TYPE strata_xds_pushes_total counter\n");

  Counter& lds = pushes->WithLabels({"lds", "b"});
  lds.Increment(2);
  std::string group = "a";
  pushes->WithLabels({"lds", group}).Increment();
  pushes->WithLabels({"cds", "b"}).Increment(7);
  EXPECT_EQ(&pushes->WithLabels({"lds", "b"}), &lds);

  EXPECT_EQ(registry.Render(),
            "# HELP strata_xds_pushes_total xDS pushes.\n"
            "# TYPE strata_xds_pushes_total counter\n"
            "strata_xds_pushes_total{type_url=\"cds\",group=\"b\"} 7\n"
            "strata_xds_pushes_total{type_url=\"lds\",group=\"a\"} 1\n"
            "strata_xds_pushes_total{type_url=\"lds\",group=\"b\"} 2\n");
}

TEST(MetricsTest, FamiliesAreSortedByName) {
  MetricsRegistry registry;
  registry.AddGauge("zeta", "");
  registry.AddCounter("alpha_total", "");
  registry.AddGauge("mid", "");
  EXPECT_EQ(registry.Render(),
            "# TYPE alpha_total counter\n"
            "alpha_total 0\n"
            "# TYPE mid gauge\n"
            "mid 0\n"
            "# TYPE zeta gauge\n"
            "zeta 0\n");
}

TEST(MetricsTest, GaugeValues) {
  MetricsRegistry registry;
  GaugeFamily* family = registry.AddGauge("g", "A gauge.", {"k"});
  Gauge& a = family->WithLabels({"a"});
  a.Set(10);
  a.Add(2.5);
  a.Sub(0.25);
  a.Increment();
  a.Decrement();
  a.Decrement();
  EXPECT_DOUBLE_EQ(a.Value(), 11.25);
  family->WithLabels({"b"}).Set(-3);
  family->WithLabels({"c"}).Set(1e20);
  family->WithLabels({"d"}).Set(std::numeric_limits<double>::infinity());
  family->WithLabels({"e"}).Set(-std::numeric_limits<double>::infinity());
  family->WithLabels({"f"}).Set(std::nan(""));
  family->WithLabels({"g"}).Set(0.1);
  EXPECT_EQ(registry.Render(),
            "# HELP g A gauge.\n"
            "# TYPE g gauge\n"
            "g{k=\"a\"} 11.25\n"
            "g{k=\"b\"} -3\n"
            "g{k=\"c\"} 1e+20\n"
            "g{k=\"d\"} +Inf\n"
            "g{k=\"e\"} -Inf\n"
            "g{k=\"f\"} NaN\n"
            "g{k=\"g\"} 0.1\n");
}

TEST(MetricsTest, HistogramExposition) {
  MetricsRegistry registry;
  HistogramFamily* family =
      registry.AddHistogram("strata_push_seconds", "Push latency.", {0.25, 0.5, 1}, {"type"});
  Histogram& h = family->WithLabels({"cds"});
  h.Observe(0.125);
  h.Observe(0.25);  // upper bounds are inclusive
  h.Observe(0.75);
  h.Observe(3);
  EXPECT_EQ(h.Count(), 4u);
  EXPECT_DOUBLE_EQ(h.Sum(), 4.125);
  EXPECT_EQ(registry.Render(),
            "# HELP strata_push_seconds Push latency.\n"
            "# TYPE strata_push_seconds histogram\n"
            "strata_push_seconds_bucket{type=\"cds\",le=\"0.25\"} 2\n"
            "strata_push_seconds_bucket{type=\"cds\",le=\"0.5\"} 2\n"
            "strata_push_seconds_bucket{type=\"cds\",le=\"1\"} 3\n"
            "strata_push_seconds_bucket{type=\"cds\",le=\"+Inf\"} 4\n"
            "strata_push_seconds_sum{type=\"cds\"} 4.125\n"
            "strata_push_seconds_count{type=\"cds\"} 4\n");
}

TEST(MetricsTest, UnlabeledHistogram) {
  MetricsRegistry registry;
  Histogram& h = registry.AddHistogram("h", "", {1, 2})->WithLabels({});
  h.Observe(2);
  h.Observe(std::nan(""));  // counted in +Inf
  EXPECT_EQ(registry.Render(),
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"2\"} 1\n"
            "h_bucket{le=\"+Inf\"} 2\n"
            "h_sum NaN\n"
            "h_count 2\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.AddCounter("c", "Help with \\ and\nnewline and \"quotes\".", {"v"})
      ->WithLabels({"back\\slash \"quoted\"\nline2"})
      .Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP c Help with \\\\ and\\nnewline and \"quotes\".\n"
            "# TYPE c counter\n"
            "c{v=\"back\\\\slash \\\"quoted\\\"\\nline2\"} 1\n");
}

TEST(MetricsTest, SameDefinitionReturnsSameFamily) {
  MetricsRegistry registry;
  CounterFamily* a = registry.AddCounter("c_total", "help", {"x"});
  EXPECT_EQ(registry.AddCounter("c_total", "help", {"x"}), a);
  HistogramFamily* h = registry.AddHistogram("h", "help", {1, 2});
  EXPECT_EQ(registry.AddHistogram("h", "help", {1, 2}), h);
}

TEST(MetricsTest, CallbackGauge) {
  MetricsRegistry registry;
  int streams = 3;
  registry.AddCallbackGauge("strata_connected_streams", "Open streams.",
                            [&streams] { return static_cast<double>(streams); });
  EXPECT_EQ(registry.Render(),
            "# HELP strata_connected_streams Open streams.\n"
            "# TYPE strata_connected_streams gauge\n"
            "strata_connected_streams 3\n");
  streams = 5;
  EXPECT_THAT(registry.Render(), HasSubstr("\nstrata_connected_streams 5\n"));
}

TEST(MetricsTest, LabeledCallbackGaugeSortsAndDropsBadSamples) {
  MetricsRegistry registry;
  registry.AddCallbackGauge("streams", "", {"group"}, [] {
    return std::vector<GaugeSample>{
        {{"web"}, 2},     {{"api"}, 1.5}, {{"api"}, 9},  // repeated label values: dropped
        {{"x", "y"}, 4},                                 // wrong number of label values: dropped
        {{"quote\""}, 0},
    };
  });
  EXPECT_EQ(registry.Render(),
            "# TYPE streams gauge\n"
            "streams{group=\"api\"} 1.5\n"
            "streams{group=\"quote\\\"\"} 0\n"
            "streams{group=\"web\"} 2\n");
}

TEST(MetricsTest, RemovedCallbackGaugeIsNotCalled) {
  MetricsRegistry registry;
  int calls = 0;
  registry.AddCallbackGauge("g", "", [&calls] { return ++calls; });
  registry.AddCounter("c_total", "");
  registry.Render();
  EXPECT_EQ(calls, 1);
  registry.RemoveCallbackGauge("g");
  registry.RemoveCallbackGauge("c_total");  // not a callback gauge: ignored
  registry.RemoveCallbackGauge("missing");
  EXPECT_EQ(registry.Render(), "# TYPE c_total counter\nc_total 0\n");
  EXPECT_EQ(calls, 1);
  // The name can be used again.
  registry.AddCallbackGauge("g", "", [] { return 7.0; });
  EXPECT_THAT(registry.Render(), HasSubstr("\ng 7\n"));
}

TEST(MetricsTest, ExponentialBuckets) {
  EXPECT_THAT(ExponentialBuckets(0.001, 10, 4), ElementsAre(0.001, 0.01, 0.1, 1));
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  CounterFamily* counters = registry.AddCounter("c_total", "", {"shard"});
  HistogramFamily* histograms = registry.AddHistogram("h", "", {1, 2});
  GaugeFamily* gauges = registry.AddGauge("g", "");
  Counter& shared = counters->WithLabels({"shared"});
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& own = counters->WithLabels({absl::StrCat("t", t)});
      for (int i = 0; i < kIterations; ++i) {
        shared.Increment();
        own.Increment();
        counters->WithLabels({"looked_up"}).Increment();
        histograms->WithLabels({}).Observe(i % 3);
        gauges->WithLabels({}).Add(1);
        if (i % 1000 == 0) registry.Render();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(shared.Value(), uint64_t{kThreads * kIterations});
  EXPECT_EQ(counters->WithLabels({"looked_up"}).Value(), uint64_t{kThreads * kIterations});
  EXPECT_EQ(histograms->WithLabels({}).Count(), uint64_t{kThreads * kIterations});
  EXPECT_DOUBLE_EQ(gauges->WithLabels({}).Value(), kThreads * kIterations);
  std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr(absl::StrCat("c_total{shard=\"shared\"} ", kThreads * kIterations)));
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("c_total{shard=\"t", t, "\"} ", kIterations)));
  }
  // Values 0, 1, 2 in turn: the sum is exact in a double.
  int64_t expected_sum = 0;
  for (int i = 0; i < kIterations; ++i) expected_sum += i % 3;
  EXPECT_THAT(text, HasSubstr(absl::StrCat("\nh_sum ", expected_sum * kThreads, "\n")));
}

using MetricsDeathTest = ::testing::Test;

TEST_F(MetricsDeathTest, MisuseAborts) {
  MetricsRegistry registry;
  CounterFamily* family = registry.AddCounter("c_total", "help", {"a", "b"});
  EXPECT_DEATH(family->WithLabels({"only_one"}), "1 label values for labels \\(a,b\\)");
  EXPECT_DEATH(registry.AddCounter("c_total", "other help", {"a", "b"}), "defined differently");
  EXPECT_DEATH(registry.AddGauge("c_total", "help", {"a", "b"}), "defined differently");
  EXPECT_DEATH(registry.AddCounter("1bad", ""), "invalid metric name");
  EXPECT_DEATH(registry.AddCounter("c2", "", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(registry.AddCounter("c3", "", {"x", "x"}), "repeated label");
  EXPECT_DEATH(registry.AddHistogram("h", "", {1, 1}), "strictly increasing");
  EXPECT_DEATH(registry.AddHistogram("h2", "", {1}, {"le"}), "label \"le\"");
  EXPECT_DEATH(registry.AddCallbackGauge("c_total", "", [] { return 1.0; }), "already defined");
}

}  // namespace
}  // namespace strata

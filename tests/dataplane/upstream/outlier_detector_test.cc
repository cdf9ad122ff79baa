#include "dataplane/upstream/outlier_detector.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace strata::upstream {
namespace {

using Kind = OutlierDetector::ResultKind;

class ManualMonotonicClock final : public event::MonotonicClock {
 public:
  event::MonoTime Now() const override { return now_; }
  void Advance(absl::Duration d) { now_ += absl::ToChronoNanoseconds(d); }

 private:
  event::MonoTime now_{};
};

envoy::config::cluster::v3::OutlierDetection Proto(const std::string& text) {
  envoy::config::cluster::v3::OutlierDetection proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &proto)) << text;
  return proto;
}

std::vector<HostSharedPtr> MakeHosts(int n, int first = 1) {
  std::vector<HostSharedPtr> hosts;
  for (int i = 0; i < n; ++i) {
    hosts.push_back(std::make_shared<Host>(
        *net::Address::FromIpPort(absl::StrCat("10.0.0.", first + i), 80), 1, true));
  }
  return hosts;
}

bool Ejected(const HostSharedPtr& host) { return (host->flags() & Host::kOutlierEjected) != 0; }

class OutlierDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dispatcher = event::Dispatcher::Create("test", clock_);
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
    dispatcher_ = std::move(*dispatcher);
  }

  std::unique_ptr<OutlierDetector> Make(const std::string& text, int hosts = 10,
                                        uint64_t seed = 1) {
    auto detector = OutlierDetector::Create(Proto(text), *dispatcher_, "outlier_detection", seed);
    EXPECT_TRUE(detector.ok()) << detector.status();
    if (!detector.ok()) return nullptr;
    hosts_ = MakeHosts(hosts);
    (*detector)->SetHosts(hosts_);
    return std::move(*detector);
  }

  // Runs posted ejection decisions (no time passes).
  void Flush() { dispatcher_->RunOnce(absl::ZeroDuration()); }
  // Advances manual time and runs the loop once (timers due by then fire).
  void Tick(absl::Duration d) {
    clock_.Advance(d);
    dispatcher_->RunOnce(absl::ZeroDuration());
  }
  void Record(OutlierDetector& detector, const HostSharedPtr& host, Kind kind, int times) {
    for (int i = 0; i < times; ++i) detector.RecordResult(*host, kind);
    Flush();
  }

  ManualMonotonicClock clock_;
  std::unique_ptr<event::Dispatcher> dispatcher_;
  std::vector<HostSharedPtr> hosts_;
};

TEST_F(OutlierDetectorTest, DefaultsAreEnvoys) {
  auto config = OutlierDetector::ParseConfig(Proto(""), "od");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->consecutive_5xx, 5u);
  EXPECT_EQ(config->consecutive_gateway_failure, 5u);
  EXPECT_EQ(config->consecutive_local_origin_failure, 5u);
  EXPECT_EQ(config->enforcing_consecutive_5xx, 100u);
  EXPECT_EQ(config->enforcing_consecutive_gateway_failure, 0u);
  EXPECT_EQ(config->enforcing_consecutive_local_origin_failure, 100u);
  EXPECT_EQ(config->interval, absl::Seconds(10));
  EXPECT_EQ(config->base_ejection_time, absl::Seconds(30));
  EXPECT_EQ(config->max_ejection_time, absl::Seconds(300));
  EXPECT_EQ(config->max_ejection_percent, 10u);
  // An unset max follows a long base.
  auto long_base = OutlierDetector::ParseConfig(Proto("base_ejection_time { seconds: 600 }"), "od");
  ASSERT_TRUE(long_base.ok());
  EXPECT_EQ(long_base->max_ejection_time, absl::Seconds(600));
}

TEST_F(OutlierDetectorTest, RejectsUnsupportedFieldsByNameAndBadValues) {
  const std::pair<const char*, const char*> cases[] = {
      {"success_rate_stdev_factor { value: 1900 }",
       "outlier_detection.success_rate_stdev_factor: not supported by strata-proxy"},
      {"enforcing_success_rate { value: 0 }",
       "outlier_detection.enforcing_success_rate: not supported by strata-proxy"},
      {"failure_percentage_threshold { value: 85 }",
       "outlier_detection.failure_percentage_threshold: not supported by strata-proxy"},
      {"max_ejection_time_jitter { seconds: 1 }",
       "outlier_detection.max_ejection_time_jitter: not supported by strata-proxy"},
      {"successful_active_health_check_uneject_host { value: true }",
       "outlier_detection.successful_active_health_check_uneject_host: not supported by "
       "strata-proxy"},
      {"max_ejection_percent { value: 101 }",
       "outlier_detection.max_ejection_percent: 101 is not a percentage (0 to 100)"},
      {"enforcing_consecutive_gateway_failure { value: 200 }",
       "outlier_detection.enforcing_consecutive_gateway_failure: 200 is not a percentage (0 to "
       "100)"},
      {"interval {}", "outlier_detection.interval: must be positive"},
      {"base_ejection_time { seconds: -1 }",
       "outlier_detection.base_ejection_time: invalid duration"},
      {"base_ejection_time { seconds: 60 } max_ejection_time { seconds: 30 }",
       "outlier_detection.max_ejection_time: 30s is shorter than base_ejection_time (1m)"},
  };
  for (const auto& [text, error] : cases) {
    auto detector = OutlierDetector::Create(Proto(text), *dispatcher_);
    ASSERT_FALSE(detector.ok()) << text;
    EXPECT_EQ(detector.status().message(), error);
  }
}

TEST_F(OutlierDetectorTest, EjectsAfterConsecutive5xxNotBefore) {
  auto detector = Make("");
  const uint64_t generation = HealthGeneration().load();
  Record(*detector, hosts_[0], Kind::kServerError, 4);
  EXPECT_FALSE(Ejected(hosts_[0]));
  EXPECT_EQ(HealthGeneration().load(), generation);
  Record(*detector, hosts_[0], Kind::kServerError, 1);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_FALSE(hosts_[0]->Healthy());
  EXPECT_GT(HealthGeneration().load(), generation);  // load balancers rebuild
  EXPECT_EQ(detector->stats().ejections_active, 1u);
  EXPECT_EQ(detector->stats().ejections_enforced_consecutive_5xx, 1u);
  EXPECT_EQ(detector->EjectionMultiplier(*hosts_[0]), 1u);
  for (size_t i = 1; i < hosts_.size(); ++i) EXPECT_FALSE(Ejected(hosts_[i]));
}

TEST_F(OutlierDetectorTest, SuccessResetsTheStreak) {
  auto detector = Make("");
  Record(*detector, hosts_[0], Kind::kServerError, 4);
  Record(*detector, hosts_[0], Kind::kSuccess, 1);
  Record(*detector, hosts_[0], Kind::kServerError, 4);
  EXPECT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kGatewayError, 1);  // every 5xx counts towards 5xx
  EXPECT_TRUE(Ejected(hosts_[0]));
}

TEST_F(OutlierDetectorTest, ResultKindForStatus) {
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(200), Kind::kSuccess);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(404), Kind::kSuccess);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(500), Kind::kServerError);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(501), Kind::kServerError);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(502), Kind::kGatewayError);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(503), Kind::kGatewayError);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(504), Kind::kGatewayError);
  EXPECT_EQ(OutlierDetector::ResultKindForStatus(599), Kind::kServerError);
}

TEST_F(OutlierDetectorTest, GatewayFailuresHaveTheirOwnStreak) {
  auto detector = Make(
      "consecutive_5xx { value: 100 } consecutive_gateway_failure { value: 3 } "
      "enforcing_consecutive_gateway_failure { value: 100 }");
  // A non-gateway 5xx breaks the gateway streak.
  Record(*detector, hosts_[0], Kind::kGatewayError, 2);
  Record(*detector, hosts_[0], Kind::kServerError, 1);
  Record(*detector, hosts_[0], Kind::kGatewayError, 2);
  EXPECT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kGatewayError, 1);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_enforced_consecutive_gateway_failure, 1u);
}

TEST_F(OutlierDetectorTest, GatewayFailuresAreOnlyDetectedByDefault) {
  // enforcing_consecutive_gateway_failure defaults to 0: detected, counted, not ejected.
  auto detector = Make("consecutive_5xx { value: 100 } consecutive_gateway_failure { value: 3 }");
  Record(*detector, hosts_[0], Kind::kGatewayError, 3);
  EXPECT_FALSE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_detected_consecutive_gateway_failure, 1u);
  EXPECT_EQ(detector->stats().ejections_enforced_total, 0u);
}

TEST_F(OutlierDetectorTest, LocalOriginFailuresCountAsGatewayErrorsUnlessSplit) {
  auto detector = Make("");
  Record(*detector, hosts_[0], Kind::kConnectFailed, 3);
  Record(*detector, hosts_[0], Kind::kConnectSuccess, 1);  // ignored when not split
  Record(*detector, hosts_[0], Kind::kTimeout, 1);
  EXPECT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kReset, 1);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_enforced_consecutive_5xx, 1u);
}

TEST_F(OutlierDetectorTest, SplitModeCountsLocalOriginFailuresSeparately) {
  auto detector = Make(
      "split_external_local_origin_errors: true consecutive_local_origin_failure { value: 3 }");
  // Local-origin failures no longer count as 5xx...
  Record(*detector, hosts_[1], Kind::kTimeout, 2);
  Record(*detector, hosts_[1], Kind::kServerError, 4);
  EXPECT_FALSE(Ejected(hosts_[1]));  // the response reset the local streak, 4 < 5
  // ...nor do 5xx count as local-origin failures.
  Record(*detector, hosts_[0], Kind::kConnectFailed, 2);
  Record(*detector, hosts_[0], Kind::kConnectSuccess, 1);  // resets the local streak
  Record(*detector, hosts_[0], Kind::kConnectFailed, 2);
  EXPECT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kReset, 1);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_enforced_consecutive_local_origin_failure, 1u);
}

TEST_F(OutlierDetectorTest, ZeroThresholdDisablesADetector) {
  auto detector = Make("consecutive_5xx { value: 0 }");
  Record(*detector, hosts_[0], Kind::kServerError, 50);
  EXPECT_FALSE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_detected_consecutive_5xx, 0u);
}

TEST_F(OutlierDetectorTest, UnejectsOnTheIntervalCheckAfterTheEjectionTime) {
  auto detector = Make("");  // interval 10 s, base 30 s
  Record(*detector, hosts_[0], Kind::kServerError, 5);
  ASSERT_TRUE(Ejected(hosts_[0]));
  Tick(absl::Seconds(10));
  Tick(absl::Seconds(10));
  EXPECT_TRUE(Ejected(hosts_[0]));  // 20 s
  Tick(absl::Seconds(9));
  EXPECT_TRUE(Ejected(hosts_[0]));  // 29 s: no check due
  Tick(absl::Seconds(1));
  EXPECT_FALSE(Ejected(hosts_[0]));  // 30 s check
  EXPECT_TRUE(hosts_[0]->Healthy());
  EXPECT_EQ(detector->stats().ejections_active, 0u);
}

TEST_F(OutlierDetectorTest, RepeatedEjectionsLastLongerUpToTheMax) {
  auto detector = Make(
      "interval { seconds: 1 } base_ejection_time { seconds: 10 } "
      "max_ejection_time { seconds: 25 }");
  const HostSharedPtr& host = hosts_[0];
  // Returns how long (in whole seconds of 1 s checks) the host stays ejected.
  auto eject_and_measure = [&] {
    Record(*detector, host, Kind::kServerError, 5);
    EXPECT_TRUE(Ejected(host));
    int seconds = 0;
    while (Ejected(host) && seconds < 100) {
      Tick(absl::Seconds(1));
      ++seconds;
    }
    return seconds;
  };
  // The first ejection happens mid-interval (the check runs on whole seconds): up to 1 s more.
  EXPECT_EQ(eject_and_measure(), 10);
  EXPECT_EQ(detector->EjectionMultiplier(*host), 1u);
  EXPECT_EQ(eject_and_measure(), 20);
  EXPECT_EQ(eject_and_measure(), 25);  // 30 s capped at 25 s
  EXPECT_EQ(detector->EjectionMultiplier(*host), 3u);
  EXPECT_EQ(eject_and_measure(), 25);
  EXPECT_EQ(detector->EjectionMultiplier(*host), 3u);  // stops growing at the cap
}

TEST_F(OutlierDetectorTest, MultiplierDecaysWhileTheHostServes) {
  auto detector = Make("interval { seconds: 1 } base_ejection_time { seconds: 10 }");
  const HostSharedPtr& host = hosts_[0];
  for (int round = 0; round < 3; ++round) {
    Record(*detector, host, Kind::kServerError, 5);
    while (Ejected(host)) Tick(absl::Seconds(1));
  }
  EXPECT_EQ(detector->EjectionMultiplier(*host), 3u);
  // Just un-ejected: the first check after a full interval forgives one ejection, then one per
  // check.
  Tick(absl::Seconds(1));
  EXPECT_EQ(detector->EjectionMultiplier(*host), 2u);
  Tick(absl::Seconds(1));
  EXPECT_EQ(detector->EjectionMultiplier(*host), 1u);
  Tick(absl::Seconds(1));
  Tick(absl::Seconds(1));
  EXPECT_EQ(detector->EjectionMultiplier(*host), 0u);
  // Ejected again: back to the base time.
  Record(*detector, host, Kind::kServerError, 5);
  int seconds = 0;
  while (Ejected(host)) {
    Tick(absl::Seconds(1));
    ++seconds;
  }
  EXPECT_EQ(seconds, 10);
}

TEST_F(OutlierDetectorTest, FailuresWhileEjectedDoNotCarryOver) {
  auto detector = Make("");
  Record(*detector, hosts_[0], Kind::kServerError, 5);
  ASSERT_TRUE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kServerError, 4);  // e.g. traffic in panic mode
  for (int i = 0; i < 3; ++i) Tick(absl::Seconds(10));
  ASSERT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kServerError, 4);
  EXPECT_FALSE(Ejected(hosts_[0]));
  Record(*detector, hosts_[0], Kind::kServerError, 1);
  EXPECT_TRUE(Ejected(hosts_[0]));
}

TEST_F(OutlierDetectorTest, NeverEjectsMoreThanMaxEjectionPercent) {
  auto detector = Make("", 20);  // 10% of 20: 2 hosts
  for (int i = 0; i < 5; ++i) Record(*detector, hosts_[i], Kind::kServerError, 5);
  int ejected = 0;
  for (const auto& host : hosts_) ejected += Ejected(host);
  EXPECT_EQ(ejected, 2);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_TRUE(Ejected(hosts_[1]));
  EXPECT_EQ(detector->stats().ejections_overflow, 3u);
  // Once one is back, another may go.
  for (int i = 0; i < 3; ++i) Tick(absl::Seconds(10));
  EXPECT_EQ(detector->stats().ejections_active, 0u);
  Record(*detector, hosts_[4], Kind::kServerError, 5);
  EXPECT_TRUE(Ejected(hosts_[4]));
}

TEST_F(OutlierDetectorTest, AtLeastOneHostMayBeEjected) {
  auto detector = Make("", 3);  // 10% of 3 rounds down to 0
  Record(*detector, hosts_[0], Kind::kServerError, 5);
  Record(*detector, hosts_[1], Kind::kServerError, 5);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_FALSE(Ejected(hosts_[1]));
  EXPECT_EQ(detector->stats().ejections_overflow, 1u);
}

TEST_F(OutlierDetectorTest, ZeroPercentEjectsNobodyUnlessAlwaysEjectOneHost) {
  auto none = Make("max_ejection_percent { value: 0 }", 3);
  Record(*none, hosts_[0], Kind::kServerError, 5);
  EXPECT_FALSE(Ejected(hosts_[0]));
  EXPECT_EQ(none->stats().ejections_overflow, 1u);
  none.reset();
  auto one = Make("max_ejection_percent { value: 0 } always_eject_one_host { value: true }", 3);
  Record(*one, hosts_[0], Kind::kServerError, 5);
  Record(*one, hosts_[1], Kind::kServerError, 5);
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_FALSE(Ejected(hosts_[1]));
}

TEST_F(OutlierDetectorTest, EnforcingPercentageIsAChance) {
  auto never = Make("enforcing_consecutive_5xx { value: 0 }");
  for (int i = 0; i < 10; ++i) Record(*never, hosts_[0], Kind::kServerError, 5);
  EXPECT_FALSE(Ejected(hosts_[0]));
  EXPECT_EQ(never->stats().ejections_detected_consecutive_5xx, 10u);
  never.reset();

  auto half = Make("enforcing_consecutive_5xx { value: 50 } max_ejection_percent { value: 100 }",
                   200, /*seed=*/42);
  for (const auto& host : hosts_) Record(*half, host, Kind::kServerError, 5);
  const uint64_t enforced = half->stats().ejections_enforced_total;
  EXPECT_EQ(half->stats().ejections_detected_consecutive_5xx, 200u);
  EXPECT_GT(enforced, 60u);  // ~100 expected
  EXPECT_LT(enforced, 140u);
}

TEST_F(OutlierDetectorTest, SetHostsKeepsStateOfRemainingHostsAndReleasesRemovedOnes) {
  auto detector = Make("", 2);
  Record(*detector, hosts_[0], Kind::kServerError, 3);
  Record(*detector, hosts_[1], Kind::kServerError, 5);
  ASSERT_TRUE(Ejected(hosts_[1]));
  const HostSharedPtr removed = hosts_[1];
  std::vector<HostSharedPtr> next = {hosts_[0]};
  for (const auto& h : MakeHosts(9, 100)) next.push_back(h);
  detector->SetHosts(next);
  EXPECT_FALSE(Ejected(removed));  // no longer ours: not left ejected forever
  EXPECT_EQ(detector->stats().ejections_active, 0u);
  detector->RecordResult(*removed, Kind::kServerError);  // ignored
  Record(*detector, hosts_[0], Kind::kServerError, 2);   // 3 + 2: the streak carried over
  EXPECT_TRUE(Ejected(hosts_[0]));
}

TEST_F(OutlierDetectorTest, DecisionsQueuedForARemovedHostAreDropped) {
  auto detector = Make("", 2);
  for (int i = 0; i < 5; ++i) detector->RecordResult(*hosts_[1], Kind::kServerError);
  const HostSharedPtr removed = hosts_[1];
  detector->SetHosts({hosts_[0]});  // before the posted decision runs
  Flush();
  EXPECT_FALSE(Ejected(removed));
  EXPECT_EQ(detector->stats().ejections_detected_consecutive_5xx, 0u);
}

TEST_F(OutlierDetectorTest, DecisionsQueuedAfterDestructionAreDropped) {
  auto detector = Make("", 2);
  for (int i = 0; i < 5; ++i) detector->RecordResult(*hosts_[0], Kind::kServerError);
  detector.reset();
  Flush();  // must not touch the destroyed detector
  EXPECT_FALSE(Ejected(hosts_[0]));
}

TEST_F(OutlierDetectorTest, ConcurrentWorkersTriggerExactlyOneEjectionPerStreak) {
  auto detector = Make("consecutive_5xx { value: 4000 }", 10);
  constexpr int kThreads = 4;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) detector->RecordResult(*hosts_[0], Kind::kServerError);
    });
  }
  for (auto& w : workers) w.join();
  Flush();
  EXPECT_TRUE(Ejected(hosts_[0]));
  EXPECT_EQ(detector->stats().ejections_detected_consecutive_5xx, 1u);
}

TEST_F(OutlierDetectorTest, HostSetChangesWhileWorkersRecordAndOldTablesAreFreed) {
  auto detector = Make("max_ejection_percent { value: 100 }", 8);
  const std::vector<HostSharedPtr> all = hosts_;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> recorded{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      uint64_t i = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const HostSharedPtr& host = all[(i + t) % all.size()];
        detector->RecordResult(*host, i % 3 == 0 ? Kind::kSuccess : Kind::kServerError);
        ++i;
      }
      recorded.fetch_add(i);
    });
  }
  // Swap between two host sets while the workers run; bounded by count and time.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  int swaps = 0;
  for (; swaps < 2000 && absl::Now() < deadline; ++swaps) {
    std::vector<HostSharedPtr> subset(all.begin() + swaps % 2, all.end());
    detector->SetHosts(subset);
    dispatcher_->RunOnce(absl::ZeroDuration());
  }
  stop.store(true);
  for (auto& w : workers) w.join();
  EXPECT_GT(recorded.load(), 0u);
  EXPECT_GT(swaps, 10);
  // With no reader left, the next changes free every replaced table.
  detector->SetHosts(all);
  detector->SetHosts(all);
  EXPECT_EQ(detector->PendingTablesForTest(), 0u);
}

TEST_F(OutlierDetectorTest, ReplacedTablesAreFreedOnlyAfterTheirReadersLeave) {
  auto detector = Make("");
  // With no reader a replaced table is freed at once.
  detector->SetHosts(MakeHosts(3, 50));
  EXPECT_EQ(detector->PendingTablesForTest(), 0u);
  // A worker inside RecordResult() keeps the table it read.
  std::shared_ptr<void> reader = detector->HoldReaderForTest();
  detector->SetHosts(MakeHosts(3, 60));
  EXPECT_EQ(detector->PendingTablesForTest(), 1u);
  detector->SetHosts(MakeHosts(3, 70));
  Tick(absl::Seconds(10));  // the interval check retries too
  EXPECT_EQ(detector->PendingTablesForTest(), 2u);
  // Readers arriving meanwhile are counted on the other side and do not hold anything up.
  std::shared_ptr<void> late_reader = detector->HoldReaderForTest();
  late_reader.reset();
  reader.reset();
  Tick(absl::Seconds(10));
  EXPECT_EQ(detector->PendingTablesForTest(), 0u);
}

}  // namespace
}  // namespace strata::upstream

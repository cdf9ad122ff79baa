#include "controlplane/source/manifest_watcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/source/cluster_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::source {
namespace {

using ::testing::HasSubstr;

// Generous: only a broken watcher waits this long.
constexpr absl::Duration kDeadline = absl::Seconds(20);
constexpr absl::Duration kDebounce = absl::Milliseconds(50);

std::string ServiceYaml(const std::string& name, int port) {
  return absl::StrCat("apiVersion: v1\nkind: Service\nmetadata: {name: ", name,
                      "}\nspec:\n  ports:\n  - port: ", port, "\n");
}

// Collects the states the watcher delivers.
class Recorder {
 public:
  ManifestWatcher::Callback Callback() {
    return [this](ClusterStateConstSharedPtr state, const StateChanges& changes) {
      absl::MutexLock lock(&mu_);
      states_.push_back(std::move(state));
      changes_.push_back(changes);
    };
  }

  // Waits until `n` states have arrived; returns the n-th, or null on timeout.
  ClusterStateConstSharedPtr Await(size_t n) {
    absl::MutexLock lock(&mu_);
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return states_.size() >= n; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), kDeadline)) return nullptr;
    return states_[n - 1];
  }

  size_t count() {
    absl::MutexLock lock(&mu_);
    return states_.size();
  }

  // How the n-th state differs from the one before (after Await(n)).
  StateChanges Changes(size_t n) {
    absl::MutexLock lock(&mu_);
    return changes_.at(n - 1);
  }

 private:
  absl::Mutex mu_;
  std::vector<ClusterStateConstSharedPtr> states_ ABSL_GUARDED_BY(mu_);
  std::vector<StateChanges> changes_ ABSL_GUARDED_BY(mu_);
};

// The port of Service default/`name`, or -1.
int PortOf(const ClusterStateConstSharedPtr& state, const std::string& name) {
  if (state == nullptr) return -1;
  auto it = state->services.find({"default", name});
  if (it == state->services.end() || it->second.ports.empty()) return -1;
  return static_cast<int>(it->second.ports[0].port);
}

class ManifestWatcherTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/watch.XXXXXX");
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }

  // Writes `path` (relative to dir_) whole: to a hidden temporary file, then renamed over it.
  void Write(const std::string& path, std::string_view content) {
    const std::string tmp = absl::StrCat(dir_, "/.tmp-write");
    FILE* f = fopen(tmp.c_str(), "w");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(content.data(), 1, content.size(), f), content.size());
    ASSERT_EQ(fclose(f), 0);
    ASSERT_EQ(rename(tmp.c_str(), (dir_ + "/" + path).c_str()), 0);
  }

  // Writes `path` in place, as an editor without atomic saves would.
  void WriteInPlace(const std::string& path, std::string_view content) {
    FILE* f = fopen((dir_ + "/" + path).c_str(), "w");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(content.data(), 1, content.size(), f), content.size());
    ASSERT_EQ(fclose(f), 0);
  }

  std::unique_ptr<ManifestWatcher> Start() {
    absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
        ManifestWatcher::Create(dir_, recorder_.Callback(), kDebounce);
    EXPECT_TRUE(watcher.ok()) << watcher.status();
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }

  std::string dir_;
  Recorder recorder_;
};

TEST_F(ManifestWatcherTest, DeliversChangesAndKeepsLastGoodStateOnErrors) {
  Write("web.yaml", ServiceYaml("web", 80));
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);

  // The first load is delivered before Create returns.
  ASSERT_EQ(recorder_.count(), 1u);
  EXPECT_EQ(PortOf(recorder_.Await(1), "web"), 80);
  EXPECT_TRUE(recorder_.Changes(1).all);
  EXPECT_TRUE(watcher->last_error().ok());
  EXPECT_EQ(watcher->stats().loads, 1);
  EXPECT_EQ(watcher->stats().deliveries, 1);

  // A change is delivered.
  Write("web.yaml", ServiceYaml("web", 81));
  EXPECT_EQ(PortOf(recorder_.Await(2), "web"), 81);
  // Told as a change of the Service's namespace only.
  EXPECT_FALSE(recorder_.Changes(2).all);
  EXPECT_EQ(recorder_.Changes(2).namespaces, std::set<std::string>{"default"});

  // A broken file fails the reload: nothing is delivered and the last good state stays.
  Write("api.yaml", ServiceYaml("api", 0));
  ASSERT_TRUE(watcher->AwaitStats(
      [](const ManifestWatcher::Stats& s) { return s.failed_loads >= 1; }, kDeadline));
  EXPECT_EQ(watcher->last_error().message(),
            "api.yaml: document 1 (Service default/api): spec.ports[0].port: must be an "
            "integer 1..65535");
  EXPECT_EQ(recorder_.count(), 2u);
  EXPECT_EQ(PortOf(watcher->current_state(), "web"), 81);
  EXPECT_EQ(watcher->current_state()->services.size(), 1u);

  // Fixing it delivers both Services.
  WriteInPlace("api.yaml", ServiceYaml("api", 8080));
  ClusterStateConstSharedPtr fixed = recorder_.Await(3);
  EXPECT_EQ(PortOf(fixed, "web"), 81);
  EXPECT_EQ(PortOf(fixed, "api"), 8080);
  EXPECT_TRUE(watcher->last_error().ok());

  // Deleting a file is a change too.
  ASSERT_EQ(unlink((dir_ + "/api.yaml").c_str()), 0);
  ClusterStateConstSharedPtr deleted = recorder_.Await(4);
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->services.size(), 1u);
}

TEST_F(ManifestWatcherTest, ReloadWithSameContentDeliversNothing) {
  Write("web.yaml", ServiceYaml("web", 80));
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(recorder_.count(), 1u);

  // Same objects written differently, and a file that is not a manifest.
  Write("web.yaml", "# reformatted\n" + ServiceYaml("web", 80));
  Write("notes.txt", "hello");
  ASSERT_TRUE(
      watcher->AwaitStats([](const ManifestWatcher::Stats& s) { return s.loads >= 2; }, kDeadline));
  EXPECT_EQ(recorder_.count(), 1u);
  EXPECT_EQ(watcher->stats().deliveries, 1);
  EXPECT_EQ(watcher->stats().failed_loads, 0);

  // A real change still comes through afterwards.
  Write("web.yaml", ServiceYaml("web", 90));
  EXPECT_EQ(PortOf(recorder_.Await(2), "web"), 90);
}

TEST_F(ManifestWatcherTest, FailedFirstLoadStartsWithoutState) {
  Write("web.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: [\n");
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);
  EXPECT_EQ(recorder_.count(), 0u);
  EXPECT_EQ(watcher->current_state(), nullptr);
  EXPECT_THAT(watcher->last_error().message(), HasSubstr("web.yaml: line 5, column 1: "));
  EXPECT_EQ(watcher->stats().failed_loads, 1);

  Write("web.yaml", ServiceYaml("web", 80));
  EXPECT_EQ(PortOf(recorder_.Await(1), "web"), 80);
  EXPECT_EQ(PortOf(watcher->current_state(), "web"), 80);
}

TEST_F(ManifestWatcherTest, EmptyDirectoryDeliversEmptyState) {
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);
  ClusterStateConstSharedPtr state = recorder_.Await(1);
  ASSERT_NE(state, nullptr);
  EXPECT_TRUE(state->services.empty());
  EXPECT_TRUE(state->endpoint_slices.empty());
}

// A mounted ConfigMap: files are links through `..data`, which is swapped atomically.
TEST_F(ManifestWatcherTest, FollowsConfigMapStyleSymlinkSwap) {
  ASSERT_EQ(mkdir((dir_ + "/..v1").c_str(), 0755), 0);
  Write("..v1/web.yaml", ServiceYaml("web", 80));
  ASSERT_EQ(symlink("..v1", (dir_ + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/web.yaml", (dir_ + "/web.yaml").c_str()), 0);
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);
  EXPECT_EQ(PortOf(recorder_.Await(1), "web"), 80);

  ASSERT_EQ(mkdir((dir_ + "/..v2").c_str(), 0755), 0);
  Write("..v2/web.yaml", ServiceYaml("web", 81));
  ASSERT_EQ(symlink("..v2", (dir_ + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(rename((dir_ + "/..data_tmp").c_str(), (dir_ + "/..data").c_str()), 0);
  EXPECT_EQ(PortOf(recorder_.Await(2), "web"), 81);
}

TEST_F(ManifestWatcherTest, DirectoryRemovedAndRecreated) {
  Write("web.yaml", ServiceYaml("web", 80));
  std::unique_ptr<ManifestWatcher> watcher = Start();
  ASSERT_NE(watcher, nullptr);
  ASSERT_EQ(recorder_.count(), 1u);

  const std::string moved = dir_ + ".old";
  ASSERT_EQ(rename(dir_.c_str(), moved.c_str()), 0);
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  Write("web.yaml", ServiceYaml("web", 81));
  // Changes to the renamed directory are no longer followed; the new one is found again.
  EXPECT_EQ(PortOf(recorder_.Await(2), "web"), 81);
  EXPECT_TRUE(watcher->last_error().ok());
}

TEST(ManifestWatcherCreateTest, MissingDirectoryFails) {
  absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
      ManifestWatcher::Create("/nonexistent/strata-manifests",
                              [](const ClusterStateConstSharedPtr&, const StateChanges&) {});
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(watcher.status().message(), HasSubstr("/nonexistent/strata-manifests"));
}

TEST(ManifestWatcherCreateTest, FileIsNotADirectory) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/plain-file.yaml");
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  absl::StatusOr<std::unique_ptr<ManifestWatcher>> watcher =
      ManifestWatcher::Create(path, [](const ClusterStateConstSharedPtr&, const StateChanges&) {});
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::source

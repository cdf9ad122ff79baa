// Reading kubeconfig files, one or several merged as kubectl merges KUBECONFIG.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/kube/api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/process.h"

namespace strata::kube {
namespace {

using ::testing::HasSubstr;

class KubeconfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& yaml) {
    const std::string path = absl::StrCat(dir_, "/", name);
    test::WriteFile(path, yaml);
    return path;
  }
  const std::string dir_ = test::TempDir("kubeconfig");
};

TEST_F(KubeconfigTest, TheFirstFileToDefineANameWinsWhole) {
  const std::string first = Write("first", R"(
current-context: dev
users:
- name: me
  user: {token: first-token}
)");
  const std::string second = Write("second", R"(
current-context: prod
contexts:
- name: dev
  context: {cluster: c, user: me}
- name: prod
  context: {cluster: other, user: me}
clusters:
- name: c
  cluster: {server: "https://c.example:6443", certificate-authority: ca.pem}
users:
- name: me
  user: {token: second-token, client-certificate: me.crt}
)");
  absl::StatusOr<ApiServerConfig> config =
      KubeconfigConfig(std::vector<std::string>{first, second});
  ASSERT_TRUE(config.ok()) << config.status();
  // current-context from the first file that sets it; the context and cluster from the
  // second, the only one that has them.
  EXPECT_EQ(config->server, "https://c.example:6443");
  // A relative path is relative to the file that defines the entry.
  EXPECT_EQ(config->ca_file, absl::StrCat(dir_, "/ca.pem"));
  // The first file's user, whole: the second's client certificate is not mixed in.
  EXPECT_EQ(config->token, "first-token");
  EXPECT_EQ(config->client_cert_file, "");

  // In the other order, the second file's settings win.
  config = KubeconfigConfig(std::vector<std::string>{second, first});
  ASSERT_FALSE(config.ok());  // current-context "prod" names cluster "other", defined nowhere
  EXPECT_EQ(config.status().message(),
            absl::StrCat(second, ":", first, ": no cluster named \"other\""));
}

TEST_F(KubeconfigTest, ErrorsNameTheFileTheEntryCameFrom) {
  const std::string contexts = Write("contexts", R"(
current-context: dev
contexts: [{name: dev, context: {cluster: c, user: me}}]
)");
  const std::string clusters = Write("clusters", R"(
clusters: [{name: c, cluster: {certificate-authority-data: "bm90IGEgY2VydA=="}}]
users: [{name: me, user: {exec: {command: get-token}}}]
)");
  absl::StatusOr<ApiServerConfig> config =
      KubeconfigConfig(std::vector<std::string>{contexts, clusters});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), absl::StrCat(clusters, ": cluster \"c\" has no server"));

  const std::string fixed = Write("fixed", R"(
clusters: [{name: c, cluster: {server: "https://c.example"}}]
users: [{name: me, user: {exec: {command: get-token}}}]
)");
  config = KubeconfigConfig(std::vector<std::string>{contexts, fixed});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr(absl::StrCat(fixed, ": user \"me\": exec is not supported")));

  // A malformed entry is not the one asked for, and never a crash.
  const std::string odd = Write("odd", R"(
current-context: dev
contexts: [{name: 5}, 7, {name: dev, context: {cluster: c}}]
clusters: [{name: [c]}, {name: c, cluster: {server: "https://c.example"}}]
)");
  config = KubeconfigConfig(odd);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://c.example");

  config = KubeconfigConfig(std::vector<std::string>{contexts, absl::StrCat(dir_, "/missing")});
  EXPECT_FALSE(config.ok());
  EXPECT_FALSE(KubeconfigConfig(std::vector<std::string>{}).ok());
}

}  // namespace
}  // namespace strata::kube

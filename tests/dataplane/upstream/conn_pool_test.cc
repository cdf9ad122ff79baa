#include "dataplane/upstream/conn_pool.h"

#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "dataplane/net/connection.h"
#include "dataplane/net/listener.h"
#include "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.pb.h"
#include "gtest/gtest.h"

namespace strata::upstream {
namespace {

// Real loopback connections to a listener in the test's own loop; the pool under test keeps
// the client sides.
class ConnPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dispatcher = event::Dispatcher::Create("test");
    ASSERT_TRUE(dispatcher.ok()) << dispatcher.status();
    dispatcher_ = std::move(*dispatcher);
    auto fd = net::CreateListenSocket(*net::Address::Parse("127.0.0.1:0"));
    ASSERT_TRUE(fd.ok()) << fd.status();
    address_ = *net::LocalAddress(*fd);
    listener_ = std::make_unique<net::Listener>(
        *dispatcher_, *fd, nullptr,
        [this](int fd, const net::Address&, const net::Address&) { accepted_.push_back(fd); });
    pool_ = std::make_unique<ConnPool>(*dispatcher_, ConnPool::Options{});
    host_ = std::make_shared<Host>(address_, 1, true);
    other_host_ = std::make_shared<Host>(address_, 1, true);
  }
  void TearDown() override {
    pool_.reset();
    dispatcher_->RunOnce(absl::ZeroDuration());  // deferred deletions
    for (int fd : accepted_) close(fd);
  }

  bool RunUntil(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!done()) {
      if (absl::Now() > deadline) return false;
      dispatcher_->RunOnce(absl::Milliseconds(20));
    }
    return true;
  }

  // An open connection, as a request would hand back after its response.
  std::unique_ptr<net::Connection> Connected() {
    auto connection = net::Connection::CreateClient(*dispatcher_, address_,
                                                    std::make_unique<net::RawTransportSocket>());
    EXPECT_TRUE(connection.ok()) << connection.status();
    net::Connection* raw = connection->get();
    const size_t before = accepted_.size();
    EXPECT_TRUE(RunUntil([&] {
      return raw->state() == net::Connection::State::kOpen && accepted_.size() > before;
    }));
    return std::move(*connection);
  }

  std::unique_ptr<event::Dispatcher> dispatcher_;
  net::Address address_;
  std::unique_ptr<net::Listener> listener_;
  std::vector<int> accepted_;
  std::unique_ptr<ConnPool> pool_;
  HostSharedPtr host_;
  HostSharedPtr other_host_;
  UpstreamTransportConstSharedPtr plain_ = UpstreamTransport::Plain();
};

TEST_F(ConnPoolTest, SharedConnectionsAreReusedByHostAndTransport) {
  auto connection = Connected();
  net::Connection* raw = connection.get();
  pool_->Release(host_, plain_, "", std::move(connection));
  EXPECT_EQ(pool_->idle_count(), 1u);
  // Another host, or the same host with another transport, does not get it.
  EXPECT_EQ(pool_->Acquire(PoolKey{other_host_.get(), plain_.get(), ""}), nullptr);
  envoy::config::core::v3::TransportSocket raw_buffer;
  raw_buffer.mutable_typed_config()->PackFrom(
      envoy::extensions::transport_sockets::raw_buffer::v3::RawBuffer());
  auto other_transport = UpstreamTransport::Create(raw_buffer, "transport_socket");
  ASSERT_TRUE(other_transport.ok()) << other_transport.status();
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), other_transport->get(), ""}), nullptr);
  auto again = pool_->Acquire(PoolKey{host_.get(), plain_.get(), ""});
  EXPECT_EQ(again.get(), raw);
  EXPECT_EQ(pool_->idle_count(), 0u);
}

TEST_F(ConnPoolTest, AClientsConnectionsServeOnlyThatClientAndCloseWithIt) {
  const std::string alice = "PROXY TCP4 192.0.2.1 10.0.0.1 1111 80\r\n";
  const std::string bob = "PROXY TCP4 192.0.2.2 10.0.0.1 2222 80\r\n";
  auto connection = Connected();
  net::Connection* raw = connection.get();
  pool_->Release(host_, plain_, alice, std::move(connection));
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), plain_.get(), bob}), nullptr);
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), plain_.get(), ""}), nullptr);
  auto mine = pool_->Acquire(PoolKey{host_.get(), plain_.get(), alice});
  ASSERT_EQ(mine.get(), raw);

  // Back in the pool, then alice's downstream connection closes: so does this one.
  pool_->Release(host_, plain_, alice, std::move(mine));
  auto shared = Connected();
  pool_->Release(host_, plain_, "", std::move(shared));
  EXPECT_EQ(pool_->idle_count(), 2u);
  pool_->DrainClient(alice);
  EXPECT_EQ(pool_->idle_count(), 1u);
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), plain_.get(), alice}), nullptr);
  EXPECT_NE(pool_->Acquire(PoolKey{host_.get(), plain_.get(), ""}), nullptr);
}

TEST_F(ConnPoolTest, DrainHostClosesItsConnectionsOfEveryClient) {
  pool_->Release(host_, plain_, "", Connected());
  pool_->Release(host_, plain_, "PROXY UNKNOWN\r\n", Connected());
  pool_->Release(other_host_, plain_, "", Connected());
  EXPECT_EQ(pool_->idle_count(), 3u);
  pool_->DrainHost(*host_);
  EXPECT_EQ(pool_->idle_count(), 1u);
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), plain_.get(), ""}), nullptr);
  EXPECT_NE(pool_->Acquire(PoolKey{other_host_.get(), plain_.get(), ""}), nullptr);
}

TEST_F(ConnPoolTest, AConnectionTheUpstreamClosesLeavesThePool) {
  pool_->Release(host_, plain_, "PROXY UNKNOWN\r\n", Connected());
  ASSERT_EQ(accepted_.size(), 1u);
  close(accepted_.back());  // the upstream hangs up
  accepted_.pop_back();
  ASSERT_TRUE(RunUntil([&] { return pool_->idle_count() == 0; }));
  EXPECT_EQ(pool_->Acquire(PoolKey{host_.get(), plain_.get(), "PROXY UNKNOWN\r\n"}), nullptr);
}

}  // namespace
}  // namespace strata::upstream

#include "dataplane/net/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "dataplane/net/listener.h"
#include "gtest/gtest.h"

namespace strata::net {
namespace {

// Records what a connection reports; optionally echoes or holds data.
class Recorder : public ConnectionCallbacks {
 public:
  void OnData(Buffer& data, bool end_stream) override {
    if (hold) return;  // leave it in the connection's buffer
    received.append(data.data(), data.size());
    if (echo_to != nullptr) echo_to->Write(data.view());
    data.Drain(data.size());
    if (end_stream) saw_end_stream = true;
  }
  void OnEvent(ConnectionEvent event) override { events.push_back(event); }
  void OnAboveWriteHighWatermark() override { ++above; }
  void OnBelowWriteLowWatermark() override { ++below; }

  bool Has(ConnectionEvent e) const {
    for (auto x : events) {
      if (x == e) return true;
    }
    return false;
  }

  std::string received;
  std::vector<ConnectionEvent> events;
  Connection* echo_to = nullptr;
  bool hold = false;
  bool saw_end_stream = false;
  int above = 0;
  int below = 0;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dispatcher_ = std::move(*event::Dispatcher::Create("test"));
    auto fd = CreateListenSocket(*Address::Parse("127.0.0.1:0"));
    ASSERT_TRUE(fd.ok()) << fd.status();
    address_ = *LocalAddress(*fd);
    listener_ = std::make_unique<Listener>(
        *dispatcher_, *fd, nullptr, [this](int fd, const Address& peer, const Address& local) {
          server_ = Connection::CreateServer(*dispatcher_, fd,
                                             std::make_unique<RawTransportSocket>(), peer, local);
          server_->SetCallbacks(&server_cb_);
        });
  }

  // Runs the loop until `done` or the deadline; returns whether `done` became true.
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (!done()) {
      if (absl::Now() > deadline) return false;
      dispatcher_->RunOnce(absl::Milliseconds(50));
    }
    return true;
  }

  std::unique_ptr<Connection> Connect() {
    auto client =
        Connection::CreateClient(*dispatcher_, address_, std::make_unique<RawTransportSocket>());
    EXPECT_TRUE(client.ok()) << client.status();
    (*client)->SetCallbacks(&client_cb_);
    return std::move(*client);
  }

  std::unique_ptr<event::Dispatcher> dispatcher_;
  Address address_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<Connection> server_;
  Recorder server_cb_;
  Recorder client_cb_;
};

TEST_F(ConnectionTest, ConnectsAndEchoes) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return client_cb_.Has(ConnectionEvent::kConnected) && server_; }));
  EXPECT_EQ(client->state(), Connection::State::kOpen);
  EXPECT_EQ(server_->peer(), client->local());
  server_cb_.echo_to = server_.get();
  client->Write("ping ");
  client->Write("pong");  // two writes in one iteration
  ASSERT_TRUE(RunUntil([&] { return client_cb_.received == "ping pong"; }));
  EXPECT_EQ(server_cb_.received, "ping pong");
}

TEST_F(ConnectionTest, WriteBeforeConnectIsSentOnceConnected) {
  auto client = Connect();
  client->Write("early");
  ASSERT_TRUE(RunUntil([&] { return server_cb_.received == "early"; }));
}

TEST_F(ConnectionTest, ConnectFailureIsARemoteClose) {
  listener_.reset();  // nothing listens on the port any more
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return client_cb_.Has(ConnectionEvent::kRemoteClose); }));
  EXPECT_STREQ(client->close_reason(), "connect failed");
  EXPECT_FALSE(client_cb_.Has(ConnectionEvent::kConnected));
}

TEST_F(ConnectionTest, PeerCloseDeliversEndStreamThenRemoteClose) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return server_ != nullptr; }));
  client->Write("last words");
  client->Close(Connection::CloseType::kFlushWrite);
  ASSERT_TRUE(RunUntil([&] { return server_cb_.saw_end_stream; }));
  EXPECT_EQ(server_cb_.received, "last words");
  EXPECT_TRUE(client_cb_.Has(ConnectionEvent::kLocalClose));
}

TEST_F(ConnectionTest, ReadDisableHoldsDataUntilReEnabled) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return server_ != nullptr; }));
  server_->ReadDisable(true);
  server_->ReadDisable(true);  // nested
  client->Write("queued");
  // The client's bytes reach the server's socket; run a few iterations to be sure the server
  // had the chance to (wrongly) deliver them.
  ASSERT_TRUE(RunUntil([&] { return client->write_buffer().empty(); }));
  for (int i = 0; i < 5; ++i) dispatcher_->RunOnce(absl::Milliseconds(10));
  EXPECT_EQ(server_cb_.received, "");
  server_->ReadDisable(false);
  for (int i = 0; i < 5; ++i) dispatcher_->RunOnce(absl::Milliseconds(10));
  EXPECT_EQ(server_cb_.received, "");  // still one disable outstanding
  server_->ReadDisable(false);
  ASSERT_TRUE(RunUntil([&] { return server_cb_.received == "queued"; }));
}

TEST_F(ConnectionTest, UnconsumedBytesAreRedeliveredOnReEnable) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return server_ != nullptr; }));
  server_cb_.hold = true;
  client->Write("two requests");
  ASSERT_TRUE(RunUntil([&] { return client->write_buffer().empty(); }));
  for (int i = 0; i < 3; ++i) dispatcher_->RunOnce(absl::Milliseconds(10));
  server_cb_.hold = false;
  server_->ReadDisable(true);
  server_->ReadDisable(false);  // like a parser resuming after a response: no new bytes needed
  ASSERT_TRUE(RunUntil([&] { return server_cb_.received == "two requests"; }));
}

TEST_F(ConnectionTest, WatermarksFireWhenThePeerDoesNotRead) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return server_ != nullptr; }));
  server_->ReadDisable(true);  // the peer stops reading
  client->SetBufferLimits(64 * 1024);
  const std::string chunk(16 * 1024, 'x');
  size_t written = 0;
  // Keep writing until the kernel buffers are full and our buffer passes the high watermark.
  ASSERT_TRUE(RunUntil([&] {
    if (client_cb_.above == 0 && client->write_buffer().size() < 128 * 1024) {
      client->Write(chunk);
      written += chunk.size();
    }
    return client_cb_.above == 1;
  }));
  EXPECT_EQ(client_cb_.below, 0);
  server_cb_.echo_to = nullptr;
  server_->ReadDisable(false);  // reading resumes, the client's buffer drains
  ASSERT_TRUE(RunUntil([&] { return client_cb_.below == 1; }));
  // Every byte arrives, including what sat in the kernel while reading was off.
  ASSERT_TRUE(RunUntil([&] { return server_cb_.received.size() == written; }));
}

TEST_F(ConnectionTest, FlushCloseGivesUpWhenThePeerNeverReads) {
  auto client = Connect();
  ASSERT_TRUE(RunUntil([&] { return server_ != nullptr; }));
  server_->ReadDisable(true);
  client->SetFlushTimeout(absl::Milliseconds(200));
  const std::string chunk(64 * 1024, 'x');
  ASSERT_TRUE(RunUntil([&] {
    client->Write(chunk);
    dispatcher_->RunOnce(absl::ZeroDuration());
    return client->write_buffer().size() > 1024 * 1024;
  }));
  client->Close(Connection::CloseType::kFlushWrite);
  EXPECT_EQ(client->state(), Connection::State::kClosing);
  ASSERT_TRUE(RunUntil([&] { return client->state() == Connection::State::kClosed; }));
  EXPECT_STREQ(client->close_reason(), "close flush timeout");
}

TEST(ListenerTest, ConnectionLimitClosesExcessConnections) {
  auto dispatcher = std::move(*event::Dispatcher::Create("test"));
  auto fd = CreateListenSocket(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(fd.ok());
  const Address address = *LocalAddress(*fd);
  ConnectionLimit limit(2);
  std::vector<int> accepted;
  Listener listener(*dispatcher, *fd, &limit,
                    [&](int fd, const Address&, const Address&) { accepted.push_back(fd); });
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    const int c = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(c, address.sockaddr_ptr(), address.length()), 0);
    clients.push_back(c);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (listener.accepted() + listener.rejected() < 3 && absl::Now() < deadline) {
    dispatcher->RunOnce(absl::Milliseconds(50));
  }
  EXPECT_EQ(listener.accepted(), 2u);
  EXPECT_EQ(listener.rejected(), 1u);
  EXPECT_EQ(limit.count(), 2);
  // The rejected client sees EOF.
  char byte;
  EXPECT_EQ(recv(clients[2], &byte, 1, 0), 0);
  for (int c : clients) close(c);
  for (int a : accepted) close(a);
}

TEST(ListenerTest, ReusePortLetsTwoSocketsShareAnAddress) {
  auto first = CreateListenSocket(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(first.ok());
  const Address address = *LocalAddress(*first);
  auto second = CreateListenSocket(address);
  ASSERT_TRUE(second.ok()) << second.status();
  close(*first);
  close(*second);
}

}  // namespace
}  // namespace strata::net

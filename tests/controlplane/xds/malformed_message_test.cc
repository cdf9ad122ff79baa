// A message that does not parse as a DiscoveryRequest ends only the stream it came on, with a
// status that says so; other streams keep being served. The bytes are sent with gRPC's generic
// (untyped) stub on the ADS method, over a real TCP loopback connection.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/xds/resource.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/controlplane/xds/xds_test_util.h"

namespace strata::xds {
namespace {

using envoy::service::discovery::v3::AggregatedDiscoveryService;
using envoy::service::discovery::v3::DiscoveryRequest;
using envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeCluster;
using testing::MakeSnapshot;
using testing::SotwNames;

constexpr char kAdsMethod[] =
    "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";

grpc::ByteBuffer Bytes(const std::string& data) {
  grpc::Slice slice(data);
  return grpc::ByteBuffer(&slice, 1);
}

// Writes the given raw messages in order on one generic bidi stream, reads every response,
// and records how the stream ended.
class RawStream : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawStream(grpc::GenericStub& stub, std::vector<std::string> messages) {
    for (const auto& m : messages) messages_.push_back(Bytes(m));
    stub.PrepareBidiStreamingCall(&context_, kAdsMethod, grpc::StubOptions(), this);
    StartRead(&read_);
    StartWrite(&messages_[0]);
    StartCall();
  }
  ~RawStream() override {
    context_.TryCancel();
    Wait(absl::Seconds(10));
  }

  void OnWriteDone(bool ok) override {
    if (ok && ++written_ < messages_.size()) StartWrite(&messages_[written_]);
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      absl::MutexLock lock(&mu_);
      responses_.push_back(read_);
    }
    StartRead(&read_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
  }

  // The final status, once the stream ended within `timeout`.
  std::optional<grpc::Status> Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return status_.has_value(); };
    mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
    return status_;
  }
  std::vector<DiscoveryResponse> responses() {
    absl::MutexLock lock(&mu_);
    std::vector<DiscoveryResponse> out;
    for (const grpc::ByteBuffer& b : responses_) {
      std::vector<grpc::Slice> slices;
      std::string data;
      if (b.Dump(&slices).ok()) {
        for (const auto& s : slices)
          data.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      if (!out.emplace_back().ParseFromString(data)) out.pop_back();
    }
    return out;
  }

 private:
  grpc::ClientContext context_;
  std::vector<grpc::ByteBuffer> messages_;
  size_t written_ = 0;  // only the reactor's callbacks touch it, one at a time
  grpc::ByteBuffer read_;
  absl::Mutex mu_;
  std::vector<grpc::ByteBuffer> responses_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

DiscoveryRequest FirstCds(const std::string& node_id) {
  DiscoveryRequest r;
  r.set_type_url(std::string(kClusterTypeUrl));
  r.mutable_node()->set_id(node_id);
  r.mutable_node()->set_cluster("g1");
  return r;
}

class MalformedMessageTest : public ::testing::Test {
 protected:
  MalformedMessageTest() { xds_.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1")})); }

  testing::RecordingCallbacks callbacks_;
  testing::TestXdsServer xds_{callbacks_, {.tcp = true, .transport = std::nullopt}};
  std::shared_ptr<grpc::Channel> channel_ = xds_.TcpChannel();
  grpc::GenericStub generic_{channel_};
  std::unique_ptr<AggregatedDiscoveryService::Stub> ads_ =
      AggregatedDiscoveryService::NewStub(channel_);
};

// Not a protobuf message at all: field 1 as a varint whose bytes never end.
const std::string kGarbage("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12);

TEST_F(MalformedMessageTest, GarbageBytesEndOnlyThatStreamWithInvalidArgument) {
  testing::ScriptedClient<DiscoveryRequest, DiscoveryResponse> good(
      [&](grpc::ClientContext* ctx) { return ads_->StreamAggregatedResources(ctx); });
  ASSERT_TRUE(good.Send(FirstCds("good")));
  auto first = good.Next();
  ASSERT_TRUE(first.has_value());
  DiscoveryRequest ack = FirstCds("good");
  ack.set_version_info(first->version_info());
  ack.set_response_nonce(first->nonce());
  ASSERT_TRUE(good.Send(ack));

  // A valid first request (answered), then garbage on the same stream.
  RawStream bad(generic_, {FirstCds("bad").SerializeAsString(), kGarbage});
  std::optional<grpc::Status> status = bad.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.has_value()) << "the stream was not ended";
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status->error_message();
  EXPECT_THAT(status->error_message(),
              HasSubstr("not a valid envoy.service.discovery.v3.DiscoveryRequest"));
  std::vector<DiscoveryResponse> answered = bad.responses();
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_THAT(SotwNames(answered[0]), ElementsAre("c1"));
  EXPECT_TRUE(callbacks_.WaitForClosed(1));
  EXPECT_EQ(callbacks_.opened(), 2);

  // The other stream is still served.
  xds_.cache().SetSnapshot("g1", MakeSnapshot({MakeCluster("c1"), MakeCluster("c2")}));
  auto push = good.Next();
  ASSERT_TRUE(push.has_value());
  EXPECT_THAT(SotwNames(*push), ElementsAre("c1", "c2"));
  EXPECT_EQ(callbacks_.closed(), 1);
}

TEST_F(MalformedMessageTest, GarbageAsTheFirstMessageEndsTheStreamBeforeItHasANode) {
  RawStream bad(generic_, {kGarbage});
  std::optional<grpc::Status> status = bad.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.has_value()) << "the stream was not ended";
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status->error_message();
  EXPECT_TRUE(bad.responses().empty());
  EXPECT_EQ(callbacks_.opened(), 0);
}

}  // namespace
}  // namespace strata::xds

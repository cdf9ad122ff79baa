#include "controlplane/kube/watch_decoder.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::kube {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Type = WatchEvent::Type;

// Four events as the API server writes them, with braces, brackets and escaped quotes inside
// strings, and a bookmark full of zero values (KUBE_API.md §1.8).
constexpr char kStream[] =
    R"json({"type":"ADDED","object":{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"web","namespace":"a","resourceVersion":"10596","annotations":{"note":"a } b { c ] [ \"quoted\" \\"}},"spec":{"rules":[{"host":"a.example"}]}}}
{"type":"MODIFIED","object":{"kind":"Ingress","metadata":{"name":"web","resourceVersion":"10600"},"spec":{"rules":[]}}}
{"type":"BOOKMARK","object":{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"resourceVersion":"12746","creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}}}
{"type":"DELETED","object":{"kind":"Ingress","metadata":{"name":"web","resourceVersion":"12800"}}}
)json";

std::vector<std::string> Summary(const std::vector<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const WatchEvent& e : events) {
    out.push_back(absl::StrCat(static_cast<int>(e.type), "@", e.resource_version));
  }
  return out;
}

TEST(WatchDecoderTest, EventsComeOutWhateverTheChunking) {
  const std::vector<std::string> expected = {"0@10596", "1@10600", "3@12746", "2@12800"};
  {
    WatchDecoder decoder;
    std::vector<WatchEvent> events;
    ASSERT_TRUE(decoder.Feed(kStream, events).ok());
    EXPECT_EQ(Summary(events), expected);
    EXPECT_EQ(events[0].object["metadata"]["annotations"]["note"], "a } b { c ] [ \"quoted\" \\");
    EXPECT_TRUE(decoder.Finish().ok());
  }
  {
    WatchDecoder decoder;  // one byte at a time
    std::vector<WatchEvent> all;
    for (char c : std::string(kStream)) {
      ASSERT_TRUE(decoder.Feed(std::string(1, c), all).ok());
    }
    EXPECT_EQ(Summary(all), expected);
  }
  std::mt19937 random(42);
  const std::string stream = kStream;
  for (int round = 0; round < 50; ++round) {
    WatchDecoder decoder;
    std::vector<WatchEvent> all;
    size_t at = 0;
    while (at < stream.size()) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 200)(random);
      ASSERT_TRUE(decoder.Feed(absl::string_view(stream).substr(at, n), all).ok());
      at += n;
    }
    EXPECT_EQ(Summary(all), expected);
  }
}

TEST(WatchDecoderTest, EventsNeedNoSeparator) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  ASSERT_TRUE(
      decoder
          .Feed(
              R"json({"type":"ADDED","object":{"metadata":{"resourceVersion":"1"}}}{"type":"ADDED","object":{"metadata":{"resourceVersion":"2"}}}  )json",
              events)
          .ok());
  EXPECT_THAT(Summary(events), ElementsAre("0@1", "0@2"));
}

TEST(WatchDecoderTest, TooOldResourceVersionIsRecognisedInEveryForm) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  const absl::Status status = decoder.Feed(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 657887 (680402)","reason":"Expired","code":410
}
}
{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Gone"}}
{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"etcd is down","reason":"InternalError","code":500}}
)json",
      events);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(events[0].Expired());
  EXPECT_EQ(events[0].status_code, 410);
  EXPECT_EQ(events[0].message, "too old resource version: 657887 (680402)");
  EXPECT_TRUE(events[1].Expired());  // servers up to 1.17
  EXPECT_FALSE(events[2].Expired());
  EXPECT_EQ(events[2].reason, "InternalError");
}

std::string ErrorOf(absl::string_view stream, size_t limit = WatchDecoder::kDefaultMaxEventBytes) {
  WatchDecoder decoder(limit);
  std::vector<WatchEvent> events;
  const absl::Status status = decoder.Feed(stream, events);
  if (status.ok()) return "ok";
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Once broken, the decoder stays broken.
  EXPECT_EQ(decoder.Feed("{}", events), status);
  return std::string(status.message());
}

TEST(WatchDecoderTest, MalformedEventsAreNamed) {
  const std::string good =
      R"json({"type":"ADDED","object":{"metadata":{"resourceVersion":"1"}}})json";
  EXPECT_EQ(ErrorOf(good + "\n[1]"), "watch event 2: expected '{', got '['");
  EXPECT_EQ(ErrorOf(good + R"json({"type":"ADDED","object":{"a":1,}})json"),
            "watch event 2: not valid JSON");
  EXPECT_EQ(ErrorOf(R"json({"type":"CHANGED","object":{}})json"),
            "watch event 1: unknown type \"CHANGED\"");
  EXPECT_EQ(ErrorOf(R"json({"object":{}})json"), "watch event 1: no \"type\"");
  EXPECT_EQ(ErrorOf(R"json({"type":"ADDED","object":[]})json"),
            "watch event 1: \"object\" is not an object");
  EXPECT_EQ(ErrorOf(R"json({"type":"MODIFIED","object":{"metadata":{"name":"x"}}})json"),
            "watch event 1: the object has no metadata.resourceVersion");
  EXPECT_EQ(ErrorOf(R"json({"type":"ERROR","object":{"code":"410"}})json"),
            "watch event 1: the Status code is not an HTTP status code");
  EXPECT_EQ(ErrorOf(R"json({"type":"ERROR","object":{"code":4294967706}})json"),
            "watch event 1: the Status code is not an HTTP status code");
  EXPECT_EQ(ErrorOf(R"json({"type":"ADDED","object":{"a":)json" + std::string(200, '[')),
            "watch event 1: nested deeper than 128 levels");
  // The limit is per event: two events of exactly the limit pass, one byte less does not.
  EXPECT_EQ(ErrorOf(good + good, good.size() - 1),
            absl::StrCat("watch event 1: larger than ", good.size() - 1, " bytes"));
  EXPECT_EQ(ErrorOf(good + good, good.size()), "ok");
}

TEST(WatchDecoderTest, EventsBeforeAMalformedOneAreKept) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  const absl::Status status = decoder.Feed(
      R"json({"type":"ADDED","object":{"metadata":{"resourceVersion":"1"}}} oops)json", events);
  EXPECT_EQ(status.message(), "watch event 2: expected '{', got 'o'");
  EXPECT_THAT(Summary(events), ElementsAre("0@1"));
}

TEST(WatchDecoderTest, AStreamCutInsideAnEventIsReportedAtTheEnd) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  const absl::Status status =
      decoder.Feed(R"json({"type":"ADDED","object":{"metadata":{"resourceVersion":"1"}}}
{"type":"ADDED","object":{"meta)json",
                   events);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(decoder.Finish().message(), "watch event 2: the stream ended inside it");
}

}  // namespace
}  // namespace strata::kube

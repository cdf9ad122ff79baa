// The hot path allocates nothing once a connection's buffers have grown: parsing keep-alive
// requests and responses on a reused parser, and encoding into a reused buffer. Counts every
// operator new in this binary.

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "dataplane/http/http1_encoder.h"
#include "dataplane/http/http1_parser.h"
#include "gtest/gtest.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  std::abort();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace strata::http {
namespace {

// Looks at what a proxy would look at, without keeping anything.
class Sink : public Http1ParserCallbacks {
 public:
  void OnRequestHead(RequestHead& head) override {
    seen += head.headers.size() + (head.headers.Get("user-agent").has_value() ? 1 : 0);
  }
  void OnResponseHead(ResponseHead& head) override { seen += head.headers.size(); }
  void OnBodyData(absl::string_view data) override { seen += data.size(); }
  void OnTrailers(HeaderMap& trailers) override { seen += trailers.size(); }
  void OnMessageComplete() override { ++completed; }
  size_t seen = 0;
  int completed = 0;
};

// Feeds `wire` (one message) and resumes; returns false if it did not parse as one message.
bool ParseOne(Http1Parser& parser, const std::string& wire) {
  const Http1Parser::FeedResult r = parser.Feed(wire);
  if (r.status != Http1Parser::Status::kMessageComplete || r.consumed != wire.size()) return false;
  parser.Resume();
  return true;
}

std::string BrowserLikeRequest() {
  std::string wire =
      "POST /api/v1/items?limit=50&offset=100 HTTP/1.1\r\n"
      "Host: shop.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 "
      "Safari/537.36\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\n"
      "Accept-Encoding: gzip, deflate, br\r\n"
      "Cookie: session=0123456789abcdef; theme=dark; consent=yes\r\n"
      "Transfer-Encoding: chunked\r\n";
  for (int i = 0; i < 12; ++i)
    wire += "X-Custom-" + std::to_string(i) + ": value-" + std::to_string(i) + "\r\n";
  wire += "\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  return wire;
}

// The counter works: a heap allocation in this binary is seen.
TEST(Http1AllocationTest, CounterSeesAllocations) {
  const long before = g_allocations.load();
  std::string* s = new std::string(1000, 'x');
  const long allocations = g_allocations.load() - before;
  delete s;
  EXPECT_GE(allocations, 2);  // the string object and its buffer
}

TEST(Http1AllocationTest, KeepAliveRequestsAllocateNothingAfterWarmUp) {
  Sink sink;
  Http1Parser parser(Http1Parser::Mode::kRequest, sink);
  const std::string wire = BrowserLikeRequest();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ParseOne(parser, wire)) << parser.error().reason;

  const long before = g_allocations.load();
  bool ok = true;
  for (int i = 0; i < 1000; ++i) ok = ParseOne(parser, wire) && ok;
  const long allocations = g_allocations.load() - before;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(sink.completed, 1003);
}

TEST(Http1AllocationTest, KeepAliveResponsesAllocateNothingAfterWarmUp) {
  Sink sink;
  Http1Parser parser(Http1Parser::Mode::kResponse, sink);
  std::string wire =
      "HTTP/1.1 200 OK\r\nServer: upstream\r\nContent-Type: application/json\r\n"
      "Cache-Control: no-cache\r\nContent-Length: 27\r\n\r\n{\"items\":[1,2,3],\"ok\":true}";
  for (int i = 0; i < 3; ++i) {
    parser.SetRequestMethod("GET");
    ASSERT_TRUE(ParseOne(parser, wire)) << parser.error().reason;
  }
  const long before = g_allocations.load();
  bool ok = true;
  for (int i = 0; i < 1000; ++i) {
    parser.SetRequestMethod("GET");
    ok = ParseOne(parser, wire) && ok;
  }
  const long allocations = g_allocations.load() - before;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations, 0);
}

TEST(Http1AllocationTest, EncodingIntoAReusedBufferAllocatesNothing) {
  HeaderMap headers;
  for (int i = 0; i < 15; ++i) headers.Add("X-Header-" + std::to_string(i), "some value");
  std::string out;
  out.reserve(4096);
  const long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    out.clear();
    EncodeResponseHead(200, "", 1, headers, out);
    AppendChunk("payload", out);
    AppendLastChunk(out);
  }
  const long allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0);
  EXPECT_GT(out.size(), 200u);
}

}  // namespace
}  // namespace strata::http

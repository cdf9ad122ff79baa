#include "dataplane/http/http1_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/http/parser_test_util.h"

namespace strata::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Status = Http1Parser::Status;
using Mode = Http1Parser::Mode;

TEST(Http1ParserTest, SimpleGet) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string input =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\n"
      "Accept: */*\r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(input);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, input.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  const ParsedMessage& m = rec.messages[0];
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.target, "/index.html?q=1");
  EXPECT_EQ(m.minor_version, 1);
  EXPECT_THAT(m.headers, ElementsAre(Pair("Host", "example.com"), Pair("User-Agent", "test/1.0"),
                                     Pair("Accept", "*/*")));
  EXPECT_TRUE(m.keep_alive);
  EXPECT_FALSE(m.is_upgrade);
  EXPECT_FALSE(m.expect_100_continue);
  EXPECT_EQ(m.framing, BodyFraming::kNone);
  EXPECT_TRUE(m.complete);
  EXPECT_EQ(m.body, "");
}

TEST(Http1ParserTest, HeaderValuesAreTrimmedOfOptionalWhitespace) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  Drive(parser, "GET / HTTP/1.1\r\nHost:   a.example \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n");
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_THAT(rec.messages[0].headers,
              ElementsAre(Pair("Host", "a.example"), Pair("X-Empty", ""), Pair("X-Blank", "")));
}

TEST(Http1ParserTest, AcceptedTargetForms) {
  struct Case {
    std::string request_line;
    std::string target;
  };
  const std::vector<Case> cases = {
      {"GET /a/b?c=d HTTP/1.1", "/a/b?c=d"},
      {"GET http://example.com/x HTTP/1.1", "http://example.com/x"},
      {"OPTIONS * HTTP/1.1", "*"},
      {"CONNECT example.com:443 HTTP/1.1", "example.com:443"},
  };
  for (const Case& c : cases) {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    const DriveResult r = Drive(parser, c.request_line + "\r\nHost: example.com\r\n\r\n");
    EXPECT_NE(r.status, Status::kError) << c.request_line << ": " << r.error.reason;
    ASSERT_EQ(rec.messages.size(), 1u) << c.request_line;
    EXPECT_EQ(rec.messages[0].target, c.target);
  }
}

TEST(Http1ParserTest, KeepAliveFollowsVersionAndConnectionHeader) {
  struct Case {
    std::string version;
    std::string connection;  // empty: no Connection header
    bool keep_alive;
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1", "", true},           {"HTTP/1.1", "close", false},
      {"HTTP/1.1", "Close", false},     {"HTTP/1.1", "foo, close", false},
      {"HTTP/1.1", "keep-alive", true}, {"HTTP/1.0", "", false},
      {"HTTP/1.0", "keep-alive", true}, {"HTTP/1.0", "Keep-Alive", true},
      {"HTTP/1.0", "close", false},
  };
  for (const Case& c : cases) {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    std::string input = absl::StrCat("GET / ", c.version, "\r\nHost: h\r\n");
    if (!c.connection.empty()) absl::StrAppend(&input, "Connection: ", c.connection, "\r\n");
    input += "\r\n";
    const Http1Parser::FeedResult r = parser.Feed(input);
    ASSERT_EQ(r.status, Status::kMessageComplete) << input;
    ASSERT_EQ(rec.messages.size(), 1u);
    EXPECT_EQ(rec.messages[0].keep_alive, c.keep_alive) << input;
    EXPECT_EQ(rec.messages[0].minor_version, c.version == "HTTP/1.1" ? 1 : 0);
  }
}

TEST(Http1ParserTest, Http10RequestNeedsNoHost) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.0\r\n\r\n").status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].minor_version, 0);
}

TEST(Http1ParserTest, PipelinedRequestsAreDeliveredOneAtATime) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  const std::string third = "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string buffer = first + second + third;

  Http1Parser::FeedResult r = parser.Feed(buffer);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, first.size());  // the rest stays unconsumed
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].target, "/1");

  // Paused: nothing more is parsed until Resume().
  r = parser.Feed(buffer.data() + first.size(), buffer.size() - first.size());
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(rec.messages.size(), 1u);

  buffer.erase(0, first.size());
  parser.Resume();
  r = parser.Feed(buffer);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, second.size());
  ASSERT_EQ(rec.messages.size(), 2u);
  EXPECT_EQ(rec.messages[1].target, "/2");
  EXPECT_EQ(rec.messages[1].body, "hello");
  EXPECT_TRUE(rec.messages[1].keep_alive);

  buffer.erase(0, second.size());
  parser.Resume();
  r = parser.Feed(buffer);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, third.size());
  ASSERT_EQ(rec.messages.size(), 3u);
  EXPECT_EQ(rec.messages[2].target, "/3");
  EXPECT_FALSE(rec.messages[2].keep_alive);
  EXPECT_EQ(rec.completions, 3);
}

TEST(Http1ParserTest, ContentLengthBodySplitAcrossFeeds) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string head = "PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
  Http1Parser::FeedResult r = parser.Feed(head + "01234");
  EXPECT_EQ(r.status, Status::kNeedMoreData);
  EXPECT_EQ(r.consumed, head.size() + 5);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kContentLength);
  EXPECT_EQ(rec.messages[0].content_length, 10u);
  EXPECT_EQ(rec.messages[0].body, "01234");
  EXPECT_FALSE(rec.messages[0].complete);

  r = parser.Feed("567");
  EXPECT_EQ(r.status, Status::kNeedMoreData);
  EXPECT_FALSE(rec.messages[0].complete);
  r = parser.Feed("89GET");  // the next request's first bytes stay unconsumed
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(rec.messages[0].body, "0123456789");
  EXPECT_EQ(rec.messages[0].body_pieces, 3u);
  EXPECT_TRUE(rec.messages[0].complete);
}

TEST(Http1ParserTest, ContentLengthZeroHasNoBody) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").status,
            Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kContentLength);
  EXPECT_EQ(rec.messages[0].content_length, 0u);
  EXPECT_EQ(rec.messages[0].body_pieces, 0u);
}

TEST(Http1ParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string input =
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "1;flag\r\n \r\n"
      "A;a;b\r\n0123456789\r\n"
      "0;last=1\r\n"
      "X-Checksum: abc\r\nX-Other:  v \r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(input);
  EXPECT_EQ(r.status, Status::kMessageComplete) << parser.error().reason;
  EXPECT_EQ(r.consumed, input.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  const ParsedMessage& m = rec.messages[0];
  EXPECT_EQ(m.framing, BodyFraming::kChunked);
  EXPECT_EQ(m.body, "hello 0123456789");
  EXPECT_THAT(m.trailers, ElementsAre(Pair("X-Checksum", "abc"), Pair("X-Other", "v")));
  EXPECT_THAT(m.headers, ElementsAre(Pair("Host", "h"), Pair("Transfer-Encoding", "chunked")));
  EXPECT_TRUE(m.complete);
  EXPECT_TRUE(m.keep_alive);
}

TEST(Http1ParserTest, ChunkedWithoutTrailersAndThenNextRequest) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const DriveResult r = Drive(parser,
                              "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\n0\r\n\r\n"
                              "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(r.status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 2u);
  EXPECT_EQ(rec.messages[0].body, "abc");
  EXPECT_TRUE(rec.messages[0].trailers.empty());
  EXPECT_EQ(rec.messages[1].target, "/next");
}

TEST(Http1ParserTest, ExpectContinueFlag) {
  {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    parser.Feed("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
    ASSERT_EQ(rec.messages.size(), 1u);
    EXPECT_TRUE(rec.messages[0].expect_100_continue);
    EXPECT_FALSE(rec.messages[0].complete);  // the body is still to come
  }
  {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    parser.Feed("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
    ASSERT_EQ(rec.messages.size(), 1u);
    EXPECT_FALSE(rec.messages[0].expect_100_continue);
  }
  {
    // HTTP/1.0 clients do not wait for 100 Continue (RFC 9110 10.1.1): the flag stays off.
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    parser.Feed("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    ASSERT_EQ(rec.messages.size(), 1u);
    EXPECT_FALSE(rec.messages[0].expect_100_continue);
  }
}

TEST(Http1ParserTest, WebSocketUpgradePausesAndLeavesTunnelBytes) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string head =
      "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  const std::string tunnel = "\x81\x05hello GET / HTTP/1.1\r\n\r\n";
  const std::string input = head + tunnel;
  Http1Parser::FeedResult r = parser.Feed(input);
  EXPECT_EQ(r.status, Status::kUpgrade);
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(input.substr(r.consumed), tunnel);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_TRUE(rec.messages[0].is_upgrade);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kNone);
  EXPECT_TRUE(rec.messages[0].complete);
  // Still paused: the tunnel bytes are not HTTP.
  r = parser.Feed(tunnel);
  EXPECT_EQ(r.status, Status::kUpgrade);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(Http1ParserTest, UpgradeWithoutConnectionUpgradeIsAPlainRequest) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").status,
            Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_FALSE(rec.messages[0].is_upgrade);
}

TEST(Http1ParserTest, DeclinedUpgradeContinuesAsHttp) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string head =
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
  const std::string next = "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n";
  Http1Parser::FeedResult r = parser.Feed(head + next);
  ASSERT_EQ(r.status, Status::kUpgrade);
  parser.Resume();
  r = parser.Feed(next);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 2u);
  EXPECT_EQ(rec.messages[1].target, "/plain");
}

TEST(Http1ParserTest, ConnectRequestStartsTunnel) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string head = "CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(head + "\x16\x03\x01");
  EXPECT_EQ(r.status, Status::kUpgrade);
  EXPECT_EQ(r.consumed, head.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].method, "CONNECT");
  EXPECT_TRUE(rec.messages[0].is_upgrade);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kNone);
}

TEST(Http1ParserTest, ResponseWithContentLength) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("GET");
  const Http1Parser::FeedResult r =
      parser.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\nServer: x\r\n\r\nnope");
  EXPECT_EQ(r.status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].status_code, 404);
  EXPECT_EQ(rec.messages[0].reason, "Not Found");
  EXPECT_EQ(rec.messages[0].body, "nope");
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kContentLength);
  EXPECT_TRUE(rec.messages[0].keep_alive);
}

TEST(Http1ParserTest, ResponseWithoutReasonPhrase) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  EXPECT_EQ(parser.Feed("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").status,
            Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].status_code, 200);
  EXPECT_EQ(rec.messages[0].reason, "");
}

TEST(Http1ParserTest, HeadResponseHasNoBody) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("HEAD");
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n";
  const std::string next = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  Http1Parser::FeedResult r = parser.Feed(head + next);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, head.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kNone);
  EXPECT_EQ(rec.messages[0].body, "");
  EXPECT_TRUE(rec.messages[0].keep_alive);
  EXPECT_THAT(rec.messages[0].headers, testing::Contains(Pair("Content-Length", "1234")));

  parser.SetRequestMethod("GET");
  parser.Resume();
  r = parser.Feed(next);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 2u);
  EXPECT_EQ(rec.messages[1].body, "ok");
}

TEST(Http1ParserTest, HeadResponseWithChunkedHeaderHasNoBody) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("HEAD");
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(head + "HTTP/1.1");
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kNone);
}

TEST(Http1ParserTest, ContinueThenFinalResponse) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("POST");
  const std::string input =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  const Http1Parser::FeedResult r = parser.Feed(input);
  EXPECT_EQ(r.status, Status::kMessageComplete);
  EXPECT_EQ(r.consumed, input.size());
  ASSERT_EQ(rec.messages.size(), 3u);
  EXPECT_EQ(rec.messages[0].status_code, 100);
  EXPECT_FALSE(rec.messages[0].complete);
  EXPECT_EQ(rec.messages[1].status_code, 103);
  EXPECT_THAT(rec.messages[1].headers, ElementsAre(Pair("Link", "</a.css>; rel=preload")));
  EXPECT_FALSE(rec.messages[1].complete);
  EXPECT_EQ(rec.messages[2].status_code, 201);
  EXPECT_EQ(rec.messages[2].body, "ok");
  EXPECT_TRUE(rec.messages[2].complete);
  EXPECT_EQ(rec.completions, 1);
}

TEST(Http1ParserTest, NoContentAndNotModifiedHaveNoBody) {
  for (const std::string status : {"204 No Content", "304 Not Modified"}) {
    Recorder rec;
    Http1Parser parser(Mode::kResponse, rec);
    parser.SetRequestMethod("GET");
    // A Content-Length on these is ignored: they never have a body (RFC 9112 6.3).
    const std::string head = "HTTP/1.1 " + status + "\r\nContent-Length: 10\r\n\r\n";
    const Http1Parser::FeedResult r = parser.Feed(head + "HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(r.status, Status::kMessageComplete) << status;
    EXPECT_EQ(r.consumed, head.size()) << status;
    ASSERT_EQ(rec.messages.size(), 1u);
    EXPECT_EQ(rec.messages[0].framing, BodyFraming::kNone);
    EXPECT_EQ(rec.messages[0].body_pieces, 0u);
    EXPECT_TRUE(rec.messages[0].keep_alive);
  }
}

TEST(Http1ParserTest, CloseDelimitedResponseBody) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("GET");
  EXPECT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nabc").status,
            Status::kNeedMoreData);
  EXPECT_EQ(parser.Feed("def").status, Status::kNeedMoreData);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(rec.messages[0].keep_alive);
  EXPECT_FALSE(rec.messages[0].complete);
  EXPECT_EQ(parser.Finish(), Status::kMessageComplete);
  EXPECT_EQ(rec.messages[0].body, "abcdef");
  EXPECT_TRUE(rec.messages[0].complete);
}

TEST(Http1ParserTest, NonChunkedTransferCodingResponseIsCloseDelimited) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("GET");
  EXPECT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz").status,
            Status::kNeedMoreData);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kUntilClose);
  EXPECT_EQ(parser.Finish(), Status::kMessageComplete);
  EXPECT_EQ(rec.messages[0].body, "zzz");
}

TEST(Http1ParserTest, FinishBetweenMessagesIsClean) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(parser.Finish(), Status::kNeedMoreData);
  EXPECT_EQ(parser.error().http_status, 0);
}

TEST(Http1ParserTest, FinishInsideMessageIsAnError) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc").status,
            Status::kNeedMoreData);
  EXPECT_EQ(parser.Finish(), Status::kError);
  EXPECT_EQ(parser.error().http_status, 400);
  EXPECT_EQ(parser.error().reason, "connection closed inside a message");
  EXPECT_FALSE(rec.messages[0].complete);
}

TEST(Http1ParserTest, SwitchingProtocolsResponseIsUpgrade) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("GET");
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(head + "\x81\x02hi");
  EXPECT_EQ(r.status, Status::kUpgrade);
  EXPECT_EQ(r.consumed, head.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_TRUE(rec.messages[0].is_upgrade);
  EXPECT_EQ(rec.messages[0].status_code, 101);
}

TEST(Http1ParserTest, SuccessfulConnectResponseIsUpgrade) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("CONNECT");
  const std::string head = "HTTP/1.1 200 Connection Established\r\n\r\n";
  const Http1Parser::FeedResult r = parser.Feed(head + "tunnel");
  EXPECT_EQ(r.status, Status::kUpgrade);
  EXPECT_EQ(r.consumed, head.size());
  EXPECT_TRUE(rec.messages[0].is_upgrade);

  // A refused CONNECT is an ordinary response.
  Recorder rec2;
  Http1Parser refused(Mode::kResponse, rec2);
  refused.SetRequestMethod("CONNECT");
  EXPECT_EQ(refused.Feed("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno").status,
            Status::kMessageComplete);
  EXPECT_FALSE(rec2.messages[0].is_upgrade);
  EXPECT_EQ(rec2.messages[0].body, "no");
}

TEST(Http1ParserTest, ChunkedResponse) {
  Recorder rec;
  Http1Parser parser(Mode::kResponse, rec);
  parser.SetRequestMethod("GET");
  const DriveResult r = Drive(parser,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, Status::kMessageComplete);
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].framing, BodyFraming::kChunked);
  EXPECT_EQ(rec.messages[0].body, "Wikipedia");
  EXPECT_TRUE(rec.messages[0].keep_alive);
}

// The same input parsed in one piece, byte by byte and in odd-sized pieces gives the same
// messages: no state is lost at a feed boundary.
TEST(Http1ParserTest, PieceSizeDoesNotChangeTheResult) {
  struct Input {
    Mode mode;
    std::string bytes;
  };
  const std::vector<Input> inputs = {
      {Mode::kRequest, "\r\nGET /a HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(300, 'x') +
                           "\r\n\r\n"
                           "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
                           "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT1: v1\r\nT2: v2\r\n\r\n"
                           "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
      {Mode::kResponse,
       "HTTP/1.1 100 Continue\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n\r\n"
       "HTTP/1.1 204 No Content\r\n\r\n"
       "HTTP/1.0 200 OK\r\n\r\nuntil the end"},
  };
  for (const Input& in : inputs) {
    Recorder whole;
    Http1Parser whole_parser(in.mode, whole);
    const DriveResult whole_result = Drive(whole_parser, in.bytes, in.bytes.size(), true);
    ASSERT_NE(whole_result.status, Status::kError) << whole_result.error.reason;
    ASSERT_GE(whole.messages.size(), 4u);
    for (const size_t piece : {1, 2, 3, 7, 64}) {
      Recorder split;
      Http1Parser split_parser(in.mode, split);
      const DriveResult split_result = Drive(split_parser, in.bytes, piece, true);
      EXPECT_EQ(split_result.status, whole_result.status) << "piece " << piece;
      EXPECT_EQ(split.messages, whole.messages) << "piece " << piece;
      EXPECT_EQ(split.completions, whole.completions) << "piece " << piece;
    }
  }
}

TEST(Http1ParserTest, EndlessHeaderIsCutAtTheLimit) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  const std::string start = "GET / HTTP/1.1\r\nHost: h\r\nX-Endless: ";
  size_t consumed = 0;
  Http1Parser::FeedResult r = parser.Feed(start);
  consumed += r.consumed;
  const std::string kib(1024, 'a');
  size_t fed = start.size();
  // Never more than a little past the limit: the parser must stop taking bytes at 60 KiB.
  for (int i = 0; i < 1000 && r.status == Status::kNeedMoreData; ++i) {
    r = parser.Feed(kib);
    consumed += r.consumed;
    fed += kib.size();
  }
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(parser.error().http_status, 431);
  EXPECT_EQ(parser.error().reason, "headers too large");
  EXPECT_EQ(consumed, 60u * 1024u);
  EXPECT_LE(fed, 61u * 1024u + start.size());
  EXPECT_TRUE(rec.messages.empty());
}

TEST(Http1ParserTest, HeadExactlyAtTheLimitIsAccepted) {
  Http1ParserOptions options;
  options.max_header_bytes = 64;
  const std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n";
  const std::string at_limit =
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(64 - base.size(), 'v') + "\r\n\r\n";
  ASSERT_EQ(at_limit.size(), 64u);
  {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec, options);
    EXPECT_EQ(Drive(parser, at_limit, 5).status, Status::kMessageComplete);
  }
  {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec, options);
    const std::string over = "GET / HTTP/1.1\r\nHost: h\r\nX: v" + at_limit.substr(base.size() - 4);
    ASSERT_EQ(over.size(), 65u);
    const DriveResult r = Drive(parser, over);
    EXPECT_EQ(r.status, Status::kError);
    EXPECT_EQ(r.error.http_status, 431);
    EXPECT_EQ(r.error.reason, "headers too large");
  }
}

TEST(Http1ParserTest, LimitsApplyPerMessage) {
  Http1ParserOptions options;
  options.max_header_bytes = 100;
  options.max_headers = 3;
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec, options);
  // Each head is within the limits; together they are far over them.
  std::string input;
  for (int i = 0; i < 10; ++i) input += "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
  const DriveResult r = Drive(parser, input);
  EXPECT_EQ(r.status, Status::kMessageComplete) << r.error.reason;
  EXPECT_EQ(rec.completions, 10);
}

TEST(Http1ParserTest, HeaderCountLimitIsConfigurable) {
  Http1ParserOptions options;
  options.max_headers = 2;
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec, options);
  const DriveResult r = Drive(parser, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error.http_status, 431);
  EXPECT_EQ(r.error.reason, "too many headers");
}

TEST(Http1ParserTest, TrailerLimits) {
  Http1ParserOptions options;
  options.max_headers = 2;
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec, options);
  const DriveResult r = Drive(parser,
                              "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "0\r\nT1: a\r\nT2: b\r\nT3: c\r\n\r\n");
  EXPECT_EQ(r.status, Status::kError);
  EXPECT_EQ(r.error.http_status, 431);
  EXPECT_EQ(r.error.reason, "too many trailers");
}

TEST(Http1ParserTest, HeadsAreReusedAcrossMessages) {
  // The head handed to the callbacks is the parser's own object: the owner may swap its
  // header map out and the next message is parsed into whatever it swapped in.
  class Swapper : public Http1ParserCallbacks {
   public:
    void OnRequestHead(RequestHead& head) override {
      kept.Clear();
      std::swap(kept, head.headers);
    }
    void OnBodyData(absl::string_view) override {}
    void OnMessageComplete() override {}
    HeaderMap kept;
  };
  Swapper swapper;
  Http1Parser parser(Mode::kRequest, swapper);
  Drive(parser, "GET /1 HTTP/1.1\r\nHost: one\r\n\r\n");
  EXPECT_EQ(swapper.kept.Get("host"), "one");
  Drive(parser, "GET /2 HTTP/1.1\r\nHost: two\r\nX: y\r\n\r\n");
  EXPECT_EQ(swapper.kept.Get("host"), "two");
  EXPECT_EQ(swapper.kept.size(), 2u);
}

}  // namespace
}  // namespace strata::http

#include "dataplane/http/http1_encoder.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dataplane/http/parser_test_util.h"

namespace strata::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(Http1EncoderTest, RequestHead) {
  HeaderMap headers;
  headers.Add("Host", "example.com");
  headers.Add("X-Forwarded-For", "10.0.0.1");
  std::string out = "prefix|";
  EncodeRequestHead("GET", "/a?b=c", 1, headers, out);
  EXPECT_EQ(out,
            "prefix|GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n");
  out.clear();
  EncodeRequestHead("POST", "/", 0, HeaderMap(), out);
  EXPECT_EQ(out, "POST / HTTP/1.0\r\n\r\n");
}

TEST(Http1EncoderTest, ResponseHeadWithAndWithoutReason) {
  HeaderMap headers;
  headers.Add("Content-Length", "0");
  std::string out;
  EncodeResponseHead(404, "Nope", 1, headers, out);
  EXPECT_EQ(out, "HTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n");
  out.clear();
  EncodeResponseHead(431, "", 1, headers, out);
  EXPECT_EQ(out, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n");
  out.clear();
  EncodeResponseHead(299, "", 0, HeaderMap(), out);  // no standard phrase: empty, still valid
  EXPECT_EQ(out, "HTTP/1.0 299 \r\n\r\n");
}

TEST(Http1EncoderTest, ChunkHelpers) {
  std::string out;
  AppendChunkHeader(255, out);
  EXPECT_EQ(out, "ff\r\n");
  out.clear();
  AppendChunk("hello", out);
  AppendChunk("", out);  // would be the last chunk: nothing written
  AppendChunkHeader(3, out);
  out += "abc";
  AppendChunkEnd(out);
  AppendLastChunk(out);
  EXPECT_EQ(out, "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n");
  out.clear();
  HeaderMap trailers;
  trailers.Add("X-Checksum", "1234");
  AppendLastChunk(out, &trailers);
  EXPECT_EQ(out, "0\r\nX-Checksum: 1234\r\n\r\n");
}

// What the encoder writes, the parser reads back unchanged.
TEST(Http1EncoderTest, RoundTripThroughParser) {
  RequestHead request;
  request.method = "PUT";
  request.target = "/objects/1";
  request.minor_version = 1;
  request.headers.Add("Host", "store");
  request.headers.Add("Transfer-Encoding", "chunked");
  std::string wire;
  EncodeRequestHead(request, wire);
  AppendChunk(std::string(300, 'x'), wire);
  AppendChunk("tail", wire);
  HeaderMap trailers;
  trailers.Add("Digest", "sha-256=abc");
  AppendLastChunk(wire, &trailers);

  Recorder rec;
  Http1Parser parser(Http1Parser::Mode::kRequest, rec);
  const Http1Parser::FeedResult r = parser.Feed(wire);
  ASSERT_EQ(r.status, Http1Parser::Status::kMessageComplete) << parser.error().reason;
  EXPECT_EQ(r.consumed, wire.size());
  ASSERT_EQ(rec.messages.size(), 1u);
  EXPECT_EQ(rec.messages[0].method, "PUT");
  EXPECT_EQ(rec.messages[0].target, "/objects/1");
  EXPECT_THAT(rec.messages[0].headers,
              ElementsAre(Pair("Host", "store"), Pair("Transfer-Encoding", "chunked")));
  EXPECT_EQ(rec.messages[0].body, std::string(300, 'x') + "tail");
  EXPECT_THAT(rec.messages[0].trailers, ElementsAre(Pair("Digest", "sha-256=abc")));

  ResponseHead response;
  response.status_code = 200;
  response.headers.Add("Content-Length", "2");
  wire.clear();
  EncodeResponseHead(response, wire);
  wire += "ok";
  Recorder rec2;
  Http1Parser response_parser(Http1Parser::Mode::kResponse, rec2);
  ASSERT_EQ(response_parser.Feed(wire).status, Http1Parser::Status::kMessageComplete);
  EXPECT_EQ(rec2.messages[0].status_code, 200);
  EXPECT_EQ(rec2.messages[0].reason, "OK");
  EXPECT_EQ(rec2.messages[0].body, "ok");
}

}  // namespace
}  // namespace strata::http

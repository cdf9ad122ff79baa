// One case per strict-parsing rule: the exact status and reason the proxy will send back. Each
// input is also fed byte by byte, which must give the same verdict.

#include <ostream>
#include <string>
#include <vector>

#include "dataplane/http/http1_parser.h"
#include "gtest/gtest.h"
#include "tests/dataplane/http/parser_test_util.h"

namespace strata::http {
namespace {

using Mode = Http1Parser::Mode;
using Status = Http1Parser::Status;

struct StrictCase {
  const char* name;
  Mode mode;
  std::string input;
  int status;
  const char* reason;
};

void PrintTo(const StrictCase& c, std::ostream* os) { *os << c.name; }

std::string Req(const std::string& fields, const std::string& rest = "") {
  return "POST /p HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n" + rest;
}

std::string ChunkedReq(const std::string& body) {
  return Req("Transfer-Encoding: chunked\r\n", body);
}

// A literal that contains NUL bytes, as a std::string of its full length.
template <size_t N>
std::string Bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::string ManyHeaders(int n) {
  std::string fields;
  for (int i = 0; i < n; ++i) fields += "X-H" + std::to_string(i) + ": v\r\n";
  return "GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n";
}

const std::vector<StrictCase>& Cases() {
  static const auto* cases = new std::vector<StrictCase>{
      // Message framing.
      {"ContentLengthThenTransferEncoding", Mode::kRequest,
       Req("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "abc"), 400,
       "Content-Length with Transfer-Encoding"},
      {"TransferEncodingThenContentLength", Mode::kRequest,
       Req("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "abc"), 400,
       "Content-Length with Transfer-Encoding"},
      {"ResponseContentLengthWithTransferEncoding", Mode::kResponse,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
       "Content-Length with Transfer-Encoding"},
      {"DifferingContentLengths", Mode::kRequest,
       Req("Content-Length: 3\r\nContent-Length: 4\r\n", "abcd"), 400,
       "multiple Content-Length headers"},
      {"IdenticalContentLengthsAreNotMerged", Mode::kRequest,
       Req("Content-Length: 3\r\nContent-Length: 3\r\n", "abc"), 400,
       "multiple Content-Length headers"},
      {"ContentLengthNotANumber", Mode::kRequest, Req("Content-Length: abc\r\n"), 400,
       "invalid Content-Length"},
      {"ContentLengthNegative", Mode::kRequest, Req("Content-Length: -1\r\n"), 400,
       "invalid Content-Length"},
      {"ContentLengthWithSign", Mode::kRequest, Req("Content-Length: +1\r\n", "a"), 400,
       "invalid Content-Length"},
      {"ContentLengthList", Mode::kRequest, Req("Content-Length: 3, 3\r\n", "abc"), 400,
       "invalid Content-Length"},
      {"ContentLengthEmpty", Mode::kRequest, Req("Content-Length: \r\n"), 400,
       "invalid Content-Length"},
      {"ContentLengthOverflow", Mode::kRequest, Req("Content-Length: 99999999999999999999999\r\n"),
       400, "invalid Content-Length"},
      {"ChunkSizeNotHex", Mode::kRequest, ChunkedReq("xyz\r\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk size"},
      {"ChunkSizeOverflow", Mode::kRequest, ChunkedReq("fffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
       400, "invalid chunk size"},
      {"ChunkSizeWithTrailingSpace", Mode::kRequest, ChunkedReq("3 \r\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk size"},
      {"ChunkSizeBareLf", Mode::kRequest, ChunkedReq("3\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk size"},
      {"ChunkExtensionWithSpace", Mode::kRequest, ChunkedReq("3;a b\r\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk extension"},
      {"ChunkExtensionEmptyName", Mode::kRequest, ChunkedReq("3;\r\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk extension"},
      {"ChunkExtensionControlChar", Mode::kRequest, ChunkedReq("3;a=\x01\r\nabc\r\n0\r\n\r\n"), 400,
       "invalid chunk extension"},
      {"ChunkDataLongerThanSize", Mode::kRequest, ChunkedReq("3\r\nabcd\r\n0\r\n\r\n"), 400,
       "invalid chunked encoding"},
      {"UnsupportedTransferEncoding", Mode::kRequest, Req("Transfer-Encoding: gzip\r\n"), 501,
       "unsupported Transfer-Encoding"},
      {"CodingBeforeChunked", Mode::kRequest,
       Req("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501,
       "unsupported Transfer-Encoding"},
      {"CodingBeforeChunkedInTwoFields", Mode::kRequest,
       Req("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 501,
       "unsupported Transfer-Encoding"},
      {"ChunkedNotLast", Mode::kRequest, Req("Transfer-Encoding: chunked, gzip\r\n"), 501,
       "chunked is not the final Transfer-Encoding"},
      {"TransferEncodingInHttp10", Mode::kRequest,
       "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "Transfer-Encoding in HTTP/1.0 request"},

      // Line endings and folding.
      {"ObsFold", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", 400,
       "obsolete line folding in header"},
      {"ObsFoldWithTab", Mode::kRequest, "GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\nHost: h\r\n\r\n",
       400, "obsolete line folding in header"},
      {"ObsFoldInTrailers", Mode::kRequest, ChunkedReq("0\r\nT: a\r\n b\r\n\r\n"), 400,
       "obsolete line folding in header"},
      {"BareLfAfterRequestLine", Mode::kRequest, "GET / HTTP/1.1\nHost: h\r\n\r\n", 400,
       "bare LF line ending"},
      {"BareLfAfterHeader", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400,
       "bare LF line ending"},
      {"BareLfEndingHead", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\n\n", 400,
       "bare LF line ending"},
      {"BareLfEndingTrailers", Mode::kRequest, ChunkedReq("0\r\n\n"), 400, "bare LF line ending"},
      {"BareLfAfterStatusLine", Mode::kResponse, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 400,
       "bare LF line ending"},
      {"CrWithoutLfAfterRequestLine", Mode::kRequest, "GET / HTTP/1.1\rHost: h\r\n\r\n", 400,
       "CR not followed by LF"},
      {"CrWithoutLfEndingHead", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400,
       "CR not followed by LF"},

      // Header field syntax.
      {"SpaceBeforeColon", Mode::kRequest, "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400,
       "whitespace between header name and colon"},
      {"TabBeforeColon", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX-A\t: v\r\n\r\n", 400,
       "whitespace between header name and colon"},
      {"SpaceInsideName", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX A: v\r\n\r\n", 400,
       "invalid character in header name"},
      {"NulInHeaderName", Mode::kRequest, Bytes("GET / HTTP/1.1\r\nHost: h\r\nX-\0A: v\r\n\r\n"),
       400, "invalid character in header name"},
      {"CrInHeaderName", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX-\rA: v\r\n\r\n", 400,
       "invalid character in header name"},
      {"NonTokenCharInHeaderName", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX(A): v\r\n\r\n",
       400, "invalid character in header name"},
      {"HeaderLineWithoutColon", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
       400, "invalid character in header name"},
      {"EmptyHeaderName", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400,
       "empty header name"},
      {"NulInHeaderValue", Mode::kRequest, Bytes("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"),
       400, "invalid character in header value"},
      {"CrInHeaderValue", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400,
       "invalid character in header value"},
      {"ControlCharInHeaderValue", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",
       400, "invalid character in header value"},
      {"DelInHeaderValue", Mode::kRequest, "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n", 400,
       "invalid character in header value"},
      {"ControlCharInTrailerValue", Mode::kRequest, ChunkedReq("0\r\nT: a\x02\r\n\r\n"), 400,
       "invalid character in header value"},

      // Request line.
      {"UnknownMethod", Mode::kRequest, "FETCH / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid method"},
      {"LowercaseMethod", Mode::kRequest, "get / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid method"},
      {"NonTokenMethod", Mode::kRequest, "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid method"},
      {"RtspMethodOverHttp", Mode::kRequest, "DESCRIBE / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid method"},
      {"VersionTooHigh", Mode::kRequest, "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 400,
       "invalid HTTP version"},
      {"Http2Version", Mode::kRequest, "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400,
       "invalid HTTP version"},
      {"Http2Preface", Mode::kRequest, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400,
       "invalid HTTP version"},
      {"Http09Request", Mode::kRequest, "GET /\r\n\r\n", 400, "invalid HTTP version"},
      {"MisspelledProtocol", Mode::kRequest, "GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid HTTP version"},
      {"SpaceAfterVersion", Mode::kRequest, "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400,
       "invalid HTTP version"},
      {"LowercaseProtocol", Mode::kRequest, "GET / http/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid HTTP version"},
      {"DoubleSpaceBeforeTarget", Mode::kRequest, "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"ControlCharInTarget", Mode::kRequest, "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"NonAsciiInTarget", Mode::kRequest, "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"FragmentInTarget", Mode::kRequest, "GET /page#top HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"RelativeTarget", Mode::kRequest, "GET page HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"AsteriskForGet", Mode::kRequest, "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"ConnectWithPath", Mode::kRequest, "CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},
      {"ConnectWithoutPort", Mode::kRequest, "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400,
       "invalid request target"},

      // Host.
      {"MissingHost", Mode::kRequest, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400,
       "missing Host header"},
      {"MultipleHost", Mode::kRequest, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400,
       "multiple Host headers"},
      {"MultipleIdenticalHost", Mode::kRequest, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400,
       "multiple Host headers"},

      // Limits (defaults: 60 KiB, 100 fields).
      {"HeadersTooLarge", Mode::kRequest,
       "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(61 * 1024, 'a') + "\r\n\r\n", 431,
       "headers too large"},
      {"RequestLineTooLarge", Mode::kRequest,
       "GET /" + std::string(61 * 1024, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", 431,
       "headers too large"},
      {"TooManyHeaders", Mode::kRequest, ManyHeaders(100), 431, "too many headers"},
      {"TrailersTooLarge", Mode::kRequest,
       ChunkedReq("0\r\nT: " + std::string(61 * 1024, 't') + "\r\n\r\n"), 431,
       "trailers too large"},

      // Responses and connection state.
      {"TwoDigitStatus", Mode::kResponse, "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", 400,
       "invalid status code"},
      {"StatusBelow100", Mode::kResponse, "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n", 400,
       "invalid status code"},
      {"ControlCharInReason", Mode::kResponse, "HTTP/1.1 200 O\x01K\r\n\r\n", 400,
       "invalid reason phrase"},
      {"ResponseVersionInvalid", Mode::kResponse, "HTTP/1.3 200 OK\r\n\r\n", 400,
       "invalid HTTP version"},
      {"DataAfterConnectionClose", Mode::kRequest,
       "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
       400, "data after the last message of the connection"},
  };
  return *cases;
}

class Http1StrictTest : public testing::TestWithParam<StrictCase> {};

TEST_P(Http1StrictTest, RejectsWithExactStatusAndReason) {
  const StrictCase& c = GetParam();
  Recorder whole;
  Http1Parser parser(c.mode, whole);
  const DriveResult r = Drive(parser, c.input);
  ASSERT_EQ(r.status, Http1Parser::Status::kError);
  EXPECT_EQ(r.error.http_status, c.status);
  EXPECT_EQ(r.error.reason, c.reason);
  // The error is final.
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\n").status, Status::kError);
  EXPECT_EQ(parser.Finish(), Status::kError);

  Recorder split;
  Http1Parser byte_parser(c.mode, split);
  const DriveResult b = Drive(byte_parser, c.input, 1);
  ASSERT_EQ(b.status, Http1Parser::Status::kError);
  EXPECT_EQ(b.error.http_status, c.status);
  EXPECT_EQ(b.error.reason, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Rules, Http1StrictTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<StrictCase>& info) {
                           return std::string(info.param.name);
                         });

// The limits are not off by one: the largest accepted inputs of the cases above.
TEST(Http1StrictBoundaryTest, HundredHeadersAreAccepted) {
  Recorder rec;
  Http1Parser parser(Mode::kRequest, rec);
  EXPECT_EQ(Drive(parser, ManyHeaders(99)).status, Status::kMessageComplete);  // + Host = 100
}

TEST(Http1StrictBoundaryTest, ValidVariantsOfRejectedInputsAreAccepted) {
  // Each of these differs from a rejected case above only in the detail that makes it valid.
  const std::vector<std::string> inputs = {
      Req("Content-Length: 3\r\n", "abc"),
      Req("Content-Length: 3 \r\n", "abc"),
      ChunkedReq("3;a=1\r\nabc\r\n0\r\n\r\n"),
      Req("Transfer-Encoding: Chunked\r\n", "0\r\n\r\n"),
      "GET / HTTP/1.1\r\nHost: h\r\nX-A: one two\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb \xc3\xa9\r\n\r\n",
      "GET /%C3%A9?a=b&c HTTP/1.1\r\nHost: h\r\n\r\n",
      "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    Recorder rec;
    Http1Parser parser(Mode::kRequest, rec);
    const DriveResult r = Drive(parser, input, 1);
    EXPECT_NE(r.status, Status::kError) << input << " -> " << r.error.reason;
    EXPECT_EQ(rec.messages.size(), 1u) << input;
  }
}

}  // namespace
}  // namespace strata::http

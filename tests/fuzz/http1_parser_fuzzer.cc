// libFuzzer entry point for Http1Parser (dataplane/http/http1_parser.h), in both modes. The
// input is raw bytes off the wire. Besides not crashing, it checks:
//  - splitting the input at a data-derived point gives exactly the events and verdict of
//    feeding it byte by byte (no state is lost at a feed boundary);
//  - Feed never consumes more than it was given, and a failure is final, with a 400/431/501
//    status and a reason;
//  - every request head the parser accepts, written back by the encoder, parses again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/http1_encoder.h"
#include "dataplane/http/http1_parser.h"

namespace strata::http {
namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "http1_parser_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Logs every event as text, so two runs can be compared. Body pieces are concatenated: how the
// body is cut into OnBodyData calls depends on the feeding and is not compared.
class EventLog : public Http1ParserCallbacks {
 public:
  void OnRequestHead(RequestHead& head) override {
    std::string wire;
    EncodeRequestHead(head, wire);
    absl::StrAppend(&log, "\n[request ka=", head.keep_alive, " up=", head.is_upgrade,
                    " expect=", head.expect_100_continue,
                    " framing=", static_cast<int>(head.framing), " cl=", head.content_length, "]\n",
                    wire);
    heads.push_back(std::move(wire));
    in_body_ = false;
  }
  void OnResponseHead(ResponseHead& head) override {
    std::string wire;
    EncodeResponseHead(head, wire);
    absl::StrAppend(&log, "\n[response ka=", head.keep_alive, " up=", head.is_upgrade,
                    " framing=", static_cast<int>(head.framing), " cl=", head.content_length, "]\n",
                    wire);
    in_body_ = false;
  }
  void OnBodyData(absl::string_view data) override {
    if (data.empty()) Fail("empty OnBodyData", log);
    if (!in_body_) log += "\n[body]\n";
    in_body_ = true;
    log.append(data.data(), data.size());
  }
  void OnTrailers(HeaderMap& trailers) override {
    log += "\n[trailers]\n";
    for (const HeaderView f : trailers) absl::StrAppend(&log, f.name, ": ", f.value, "\n");
    in_body_ = false;
  }
  void OnMessageComplete() override {
    log += "\n[complete]";
    in_body_ = false;
  }

  std::string log;
  std::vector<std::string> heads;

 private:
  bool in_body_ = false;
};

// Feeds `pieces` in order like a connection: unconsumed bytes are kept and fed again with the
// next piece, and the parser is resumed after each message. Ends with Finish(). Appends the
// final verdict to the log.
void Run(Http1Parser& parser, EventLog& events, const absl::string_view* pieces, size_t count,
         absl::string_view request_method) {
  std::string pending;
  for (size_t p = 0; p <= count; ++p) {
    if (p < count) pending.append(pieces[p].data(), pieces[p].size());
    // Bounded: each pass either consumes bytes, completes a message or stops.
    for (int guard = 0; !pending.empty(); ++guard) {
      if (guard > 100000) Fail("no progress", events.log);
      const Http1Parser::FeedResult r = parser.Feed(pending);
      if (r.consumed > pending.size()) Fail("consumed more than given", events.log);
      pending.erase(0, r.consumed);
      if (r.status == Http1Parser::Status::kMessageComplete) {
        parser.SetRequestMethod(request_method);
        parser.Resume();
        continue;
      }
      if (r.status == Http1Parser::Status::kError) {
        const Http1ParseError& e = parser.error();
        if ((e.http_status != 400 && e.http_status != 431 && e.http_status != 501) ||
            e.reason.empty()) {
          Fail("bad error", absl::StrCat(e.http_status, " ", e.reason));
        }
        const Http1Parser::FeedResult again = parser.Feed("GET / HTTP/1.1\r\n");
        if (again.status != Http1Parser::Status::kError || again.consumed != 0) {
          Fail("error not final", events.log);
        }
        absl::StrAppend(&events.log, "\n[error ", e.http_status, " ", e.reason, "]");
        return;
      }
      if (r.status == Http1Parser::Status::kUpgrade) {
        absl::StrAppend(
            &events.log, "\n[upgrade, ",
            pending.size() +
                [&] {
                  size_t rest = 0;
                  for (size_t q = p + 1; q < count; ++q) rest += pieces[q].size();
                  return rest;
                }(),
            " tunnel bytes]");
        return;
      }
      if (!pending.empty()) Fail("kNeedMoreData left bytes unconsumed", events.log);
    }
  }
  const Http1Parser::Status end = parser.Finish();
  absl::StrAppend(&events.log, "\n[finish ", static_cast<int>(end), " ", parser.error().reason,
                  "]");
}

void CheckMode(Http1Parser::Mode mode, absl::string_view input, size_t split,
               absl::string_view request_method, Http1ParserOptions options) {
  EventLog split_events;
  {
    Http1Parser parser(mode, split_events, options);
    parser.SetRequestMethod(request_method);
    const absl::string_view pieces[2] = {input.substr(0, split), input.substr(split)};
    Run(parser, split_events, pieces, 2, request_method);
  }
  EventLog byte_events;
  {
    Http1Parser parser(mode, byte_events, options);
    parser.SetRequestMethod(request_method);
    std::vector<absl::string_view> bytes;
    bytes.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    Run(parser, byte_events, bytes.data(), bytes.size(), request_method);
  }
  if (split_events.log != byte_events.log) {
    Fail("split and byte-by-byte runs differ",
         absl::StrCat("split at ", split, "\n--- split:", split_events.log,
                      "\n--- bytes:", byte_events.log));
  }
  // Heads written back by the encoder parse again (the encoder adds a space after each ':', so
  // allow for growth).
  for (const std::string& head : split_events.heads) {
    EventLog again;
    Http1ParserOptions roomy;
    roomy.max_header_bytes = options.max_header_bytes * 2 + 64;
    roomy.max_headers = options.max_headers;
    Http1Parser parser(Http1Parser::Mode::kRequest, again, roomy);
    const Http1Parser::FeedResult r = parser.Feed(head);
    if (r.status == Http1Parser::Status::kError) {
      Fail("encoded head does not parse", absl::StrCat(parser.error().reason, "\n", head));
    }
  }
}

}  // namespace
}  // namespace strata::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using strata::http::CheckMode;
  using strata::http::Http1Parser;
  using strata::http::Http1ParserOptions;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  // Everything is derived from the bytes, so the seeds can be plain messages.
  const uint32_t mix = size == 0 ? 0 : data[size - 1] * 131u + data[size / 2] * 7u + size;
  const size_t split = size == 0 ? 0 : mix % (size + 1);
  static constexpr absl::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
  const absl::string_view method = kMethods[(mix >> 3) % 4];
  Http1ParserOptions options;
  if (mix & 1) {  // small limits, so that the fuzzer reaches them
    options.max_header_bytes = 64 + mix % 256;
    options.max_headers = 1 + mix % 8;
  }
  CheckMode(Http1Parser::Mode::kRequest, input, split, method, options);
  CheckMode(Http1Parser::Mode::kResponse, input, split, method, options);
  return 0;
}

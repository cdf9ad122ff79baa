#ifndef STRATA_TESTS_DATAPLANE_HTTP_PARSER_TEST_UTIL_H_
#define STRATA_TESTS_DATAPLANE_HTTP_PARSER_TEST_UTIL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/http1_parser.h"

namespace strata::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields ToFields(const HeaderMap& map) {
  Fields fields;
  for (const HeaderView f : map) fields.emplace_back(std::string(f.name), std::string(f.value));
  return fields;
}

// Everything the callbacks reported about one message (request or response), as plain values.
struct ParsedMessage {
  std::string method;
  std::string target;
  int status_code = 0;
  std::string reason;
  int minor_version = -1;
  Fields headers;
  bool keep_alive = false;
  bool is_upgrade = false;
  bool expect_100_continue = false;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  std::string body;
  size_t body_pieces = 0;  // OnBodyData calls
  Fields trailers;
  bool complete = false;

  bool operator==(const ParsedMessage& other) const {
    return method == other.method && target == other.target && status_code == other.status_code &&
           reason == other.reason && minor_version == other.minor_version &&
           headers == other.headers && keep_alive == other.keep_alive &&
           is_upgrade == other.is_upgrade && expect_100_continue == other.expect_100_continue &&
           framing == other.framing && content_length == other.content_length &&
           body == other.body && trailers == other.trailers && complete == other.complete;
  }
};

inline std::ostream& operator<<(std::ostream& os, const ParsedMessage& m) {
  os << "{" << m.method << " " << m.target << " " << m.status_code << " " << m.reason
     << " minor=" << m.minor_version << " ka=" << m.keep_alive << " up=" << m.is_upgrade
     << " expect=" << m.expect_100_continue << " framing=" << static_cast<int>(m.framing)
     << " cl=" << m.content_length << " headers=[";
  for (const auto& [n, v] : m.headers) os << n << ": " << v << "; ";
  os << "] body=\"" << m.body << "\" trailers=[";
  for (const auto& [n, v] : m.trailers) os << n << ": " << v << "; ";
  return os << "] complete=" << m.complete << "}";
}

// Records the callbacks.
class Recorder : public Http1ParserCallbacks {
 public:
  void OnRequestHead(RequestHead& head) override {
    ParsedMessage& m = messages.emplace_back();
    m.method = std::string(head.method);
    m.target = head.target;
    m.minor_version = head.minor_version;
    m.headers = ToFields(head.headers);
    m.keep_alive = head.keep_alive;
    m.is_upgrade = head.is_upgrade;
    m.expect_100_continue = head.expect_100_continue;
    m.framing = head.framing;
    m.content_length = head.content_length;
  }
  void OnResponseHead(ResponseHead& head) override {
    ParsedMessage& m = messages.emplace_back();
    m.status_code = head.status_code;
    m.reason = head.reason;
    m.minor_version = head.minor_version;
    m.headers = ToFields(head.headers);
    m.keep_alive = head.keep_alive;
    m.is_upgrade = head.is_upgrade;
    m.framing = head.framing;
    m.content_length = head.content_length;
  }
  void OnBodyData(absl::string_view data) override {
    messages.back().body.append(data.data(), data.size());
    ++messages.back().body_pieces;
  }
  void OnTrailers(HeaderMap& trailers) override { messages.back().trailers = ToFields(trailers); }
  void OnMessageComplete() override {
    messages.back().complete = true;
    ++completions;
  }

  std::vector<ParsedMessage> messages;
  int completions = 0;
};

struct DriveResult {
  Http1Parser::Status status = Http1Parser::Status::kNeedMoreData;
  std::string leftover;  // bytes not consumed after kUpgrade or kError
  Http1ParseError error;
};

// Feeds `input` to `parser` in pieces of `piece` bytes the way a connection would: unconsumed
// bytes are kept and fed again, and the parser is resumed after every complete message. With
// `finish`, ends with Finish() (the peer closed).
inline DriveResult Drive(Http1Parser& parser, absl::string_view input,
                         size_t piece = std::numeric_limits<size_t>::max(), bool finish = false) {
  DriveResult result;
  std::string pending;
  size_t next = 0;
  for (;;) {
    while (!pending.empty()) {
      const Http1Parser::FeedResult r = parser.Feed(pending);
      pending.erase(0, r.consumed);
      result.status = r.status;
      if (r.status == Http1Parser::Status::kMessageComplete) {
        parser.Resume();
        continue;
      }
      if (r.status != Http1Parser::Status::kNeedMoreData) {
        result.leftover = pending + std::string(input.substr(next));
        result.error = parser.error();
        return result;
      }
      if (!pending.empty()) {  // kNeedMoreData must consume everything
        result.leftover = pending;
        return result;
      }
    }
    if (next >= input.size()) break;
    const size_t n = std::min(piece, input.size() - next);
    pending.append(input.data() + next, n);
    next += n;
  }
  if (finish) {
    result.status = parser.Finish();
    if (result.status == Http1Parser::Status::kMessageComplete) parser.Resume();
    result.error = parser.error();
  }
  return result;
}

}  // namespace strata::http

#endif  // STRATA_TESTS_DATAPLANE_HTTP_PARSER_TEST_UTIL_H_

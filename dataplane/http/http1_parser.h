#ifndef STRATA_DATAPLANE_HTTP_HTTP1_PARSER_H_
#define STRATA_DATAPLANE_HTTP_HTTP1_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/header_map.h"
#include "llhttp.h"

namespace strata::http {

// How the body of a message is delimited.
enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly `content_length` bytes (possibly 0)
  kChunked,        // chunked transfer coding (OnBodyData gets the decoded bytes)
  kUntilClose,     // responses only: everything up to the end of the connection
};

// A parsed request line and header section. Owned by the parser; the reference handed to
// Http1ParserCallbacks::OnRequestHead stays valid until Http1Parser::Resume(). The owner may
// swap `headers` with a map of its own to keep them (the parser then reuses the owner's map).
struct RequestHead {
  absl::string_view method;  // e.g. "GET"; static storage
  std::string target;        // the request-target as received
  int minor_version = 1;     // HTTP/1.<minor_version>
  HeaderMap headers;
  // The connection may carry another request after this one (HTTP/1.1 unless
  // "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive = false;
  // CONNECT, or "Upgrade" with "Connection: upgrade": after this message the stream is
  // tunnel bytes (Feed reports Status::kUpgrade).
  bool is_upgrade = false;
  bool expect_100_continue = false;  // HTTP/1.1 with "Expect: 100-continue"
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // when framing == kContentLength
};

// A parsed status line and header section; lifetime as for RequestHead.
struct ResponseHead {
  int minor_version = 1;
  int status_code = 0;
  std::string reason;
  HeaderMap headers;
  bool keep_alive = false;
  // 101 Switching Protocols, or a 2xx answer to CONNECT.
  bool is_upgrade = false;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
};

// Why a message was rejected: the status to answer with and a short reason for the response
// body and logs. `reason` points to static storage. In response mode the status describes the
// fault in the upstream's message; the proxy answers its client with 502 instead.
struct Http1ParseError {
  int http_status = 0;
  absl::string_view reason;
};

// Receives what the parser finds. Called from inside Http1Parser::Feed/Finish only.
class Http1ParserCallbacks {
 public:
  virtual ~Http1ParserCallbacks() = default;
  // Request mode: a complete request head.
  virtual void OnRequestHead(RequestHead& head) {}
  // Response mode: a complete response head. 1xx informational heads (100 Continue, 103 Early
  // Hints) come here too and are followed by the next head, without OnMessageComplete.
  virtual void OnResponseHead(ResponseHead& head) {}
  // A piece of the body with any chunked framing removed. Points into the buffer given to Feed.
  virtual void OnBodyData(absl::string_view data) = 0;
  // The trailer fields of a chunked message, just before OnMessageComplete; only if present.
  virtual void OnTrailers(HeaderMap& trailers) {}
  // The message ended. The parser is paused until Http1Parser::Resume().
  virtual void OnMessageComplete() = 0;
};

struct Http1ParserOptions {
  // Limit on the start line plus header section, in bytes on the wire (as Envoy's default
  // max_request_headers_kb). The same limit applies separately to a trailer section.
  size_t max_header_bytes = 60 * 1024;
  // Limit on the number of header fields (and, separately, of trailer fields).
  size_t max_headers = 100;
};

// A streaming HTTP/1.x parser for one direction of one connection, built on llhttp with its
// lenient modes off, plus checks of its own where llhttp accepts what a proxy must not:
// bare LF line endings, obs-fold, whitespace before ':', control characters, duplicate Host or
// Content-Length, non-"chunked" transfer codings, and size limits enforced as bytes arrive.
// A repeated Content-Length is rejected even when the values are equal (RFC 9110 8.6 lets a
// recipient either merge or reject; Envoy merges, llhttp cannot). Every rejection is final and
// comes with the status and reason to answer with (error()).
//
// Feed() parses as much as it can. After each complete message it pauses: the bytes after the
// message stay unconsumed (pipelined requests are answered in order) until the owner calls
// Resume() and feeds them again. After a CONNECT/Upgrade request, a 101 response or a 2xx
// answer to CONNECT, the rest of the stream is not HTTP and Feed reports kUpgrade.
//
// Not thread-safe; not movable (llhttp keeps a pointer to it).
class Http1Parser {
 public:
  enum class Mode { kRequest, kResponse };

  enum class Status {
    kNeedMoreData,     // everything fed was consumed; the message is not complete yet
    kMessageComplete,  // a message ended; paused until Resume()
    kUpgrade,          // the head ended a switch to tunnel bytes (the rest is not HTTP)
    kError,            // the input is invalid; see error(). Final.
  };

  struct FeedResult {
    size_t consumed = 0;  // bytes of the input parsed (on kError: those before the fault)
    Status status = Status::kNeedMoreData;
  };

  Http1Parser(Mode mode, Http1ParserCallbacks& callbacks, Http1ParserOptions options = {});
  // Makes the parser as good as new for another connection (same mode), keeping the memory its
  // head and header storage grew to.
  void Reset(Http1ParserCallbacks& callbacks, Http1ParserOptions options);
  Http1Parser(const Http1Parser&) = delete;
  Http1Parser& operator=(const Http1Parser&) = delete;

  FeedResult Feed(const char* data, size_t len);
  FeedResult Feed(absl::string_view data) { return Feed(data.data(), data.size()); }

  // The peer closed its side. Completes a close-delimited response body (OnMessageComplete,
  // returns kMessageComplete); returns kNeedMoreData when no message was in progress and kError
  // when one was cut short.
  Status Finish();

  // Continues after kMessageComplete with the next message. After kUpgrade it means the owner
  // declined the upgrade and the stream goes on as HTTP/1.1. Invalidates the last head.
  void Resume();

  // Response mode: the method of the request the next response answers (HEAD responses have
  // no body; a 2xx answer to CONNECT starts a tunnel). Set before feeding that response.
  void SetRequestMethod(absl::string_view method);

  Mode mode() const { return mode_; }
  const Http1ParseError& error() const { return error_; }
  // Bytes of header storage the parser keeps between messages (its arenas' capacity).
  size_t RetainedBytes() const {
    return request_.headers.ArenaCapacity() + response_.headers.ArenaCapacity() +
           trailers_.ArenaCapacity() + request_.target.capacity();
  }

 private:
  enum class Phase : uint8_t {
    kHead,         // start line and header section (scanned, then given to llhttp)
    kBody,         // body bytes and chunk framing (llhttp alone)
    kTrailers,     // trailer section of a chunked body (scanned, then given to llhttp)
    kMessageDone,  // paused after a message
    kUpgraded,     // paused after an upgrade
    kError,
  };
  // Why llhttp was paused from a callback.
  enum class PauseReason : uint8_t { kNone, kMessageComplete, kInformational, kTrailers };
  // The byte-level validator's position in the head or trailer section.
  enum class ScanState : uint8_t {
    kMethod,
    kTarget,
    kRequestVersion,
    kResponseVersion,
    kStatusCode,
    kReasonPhrase,
    kLineStart,
    kName,
    kSpaceAfterName,
    kValue,
    kCr,
    kDone,  // section ended; llhttp must have moved on
  };
  // What the CR being checked ends.
  enum class CrContext : uint8_t { kLeadingEmptyLine, kStartLine, kValue, kEmptyLine };
  enum class ScanOutcome : uint8_t { kMore, kSectionEnd, kError };

  struct ScanResult {
    size_t valid_bytes;  // bytes llhttp may parse
    // Bytes scanned (>= valid_bytes): the difference is whitespace after a header name, which
    // is certain to end in an error and is never given to llhttp.
    size_t scanned_bytes;
    ScanOutcome outcome;
  };

  // llhttp callbacks.
  static int OnUrl(llhttp_t* p, const char* at, size_t len);
  static int OnStatus(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderField(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderFieldComplete(llhttp_t* p);
  static int OnHeaderValue(llhttp_t* p, const char* at, size_t len);
  static int OnHeaderValueComplete(llhttp_t* p);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, size_t len);
  static int OnChunkHeader(llhttp_t* p);
  static int OnMessageComplete(llhttp_t* p);
  static const llhttp_settings_t& Settings();

  int HeadersComplete();
  int RequestHeadComplete();
  int ResponseHeadComplete();
  bool CheckRequestTarget() const;
  // Records `error` as the failure (the first one wins) and returns the code that makes llhttp
  // stop.
  int Fail(Http1ParseError error);
  Http1ParseError MapLlhttpError(llhttp_errno_t err) const;

  // Validates the head/trailer bytes at `data` and reports how many are acceptable.
  ScanResult Scan(const char* data, size_t len);
  ScanResult ScanError(size_t offset, Http1ParseError error);
  void StartScan(bool trailers);
  // Runs llhttp over `len` bytes; sets `used`. Returns true to stop Feed with `status`.
  bool Execute(const char* data, size_t len, size_t& used, Status& status);
  void ResetForNextMessage();
  HeaderMap& CurrentFields() {
    if (phase_ == Phase::kTrailers) return trailers_;
    return mode_ == Mode::kRequest ? request_.headers : response_.headers;
  }

  const Mode mode_;
  Http1ParserCallbacks* callbacks_;
  Http1ParserOptions options_;
  llhttp_t parser_;

  Phase phase_ = Phase::kHead;
  PauseReason pause_reason_ = PauseReason::kNone;
  Http1ParseError error_;
  Http1ParseError scan_error_;  // the scanner's finding, reported if llhttp finds none earlier

  RequestHead request_;
  ResponseHead response_;
  HeaderMap trailers_;

  // Header bookkeeping for the current message.
  bool in_field_ = false;
  bool seen_content_length_ = false;
  bool seen_transfer_encoding_ = false;
  bool seen_host_ = false;
  bool seen_expect_ = false;
  bool is_upgrade_ = false;
  bool informational_ = false;

  // Response mode: the request being answered.
  bool request_was_head_ = false;
  bool request_was_connect_ = false;

  // Scanner state.
  ScanState scan_state_ = ScanState::kMethod;
  CrContext cr_context_ = CrContext::kStartLine;
  bool scanning_trailers_ = false;
  uint32_t token_size_ = 0;  // bytes of the current start-line token
  size_t section_bytes_ = 0;
  size_t field_count_ = 0;
};

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_HTTP1_PARSER_H_

#include "dataplane/http/http1_parser.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace strata::http {
namespace {

// The reasons the parser gives, one per fault. Status codes follow Envoy's choices: 431 for
// size limits, 501 for transfer codings the proxy does not implement, 400 for the rest.
constexpr Http1ParseError kBareLf{400, "bare LF line ending"};
constexpr Http1ParseError kCrWithoutLf{400, "CR not followed by LF"};
constexpr Http1ParseError kObsFold{400, "obsolete line folding in header"};
constexpr Http1ParseError kSpaceBeforeColon{400, "whitespace between header name and colon"};
constexpr Http1ParseError kInvalidNameChar{400, "invalid character in header name"};
constexpr Http1ParseError kInvalidValueChar{400, "invalid character in header value"};
constexpr Http1ParseError kEmptyName{400, "empty header name"};
constexpr Http1ParseError kInvalidHeaderField{400, "invalid header field"};
constexpr Http1ParseError kInvalidMethod{400, "invalid method"};
constexpr Http1ParseError kInvalidTarget{400, "invalid request target"};
constexpr Http1ParseError kInvalidVersion{400, "invalid HTTP version"};
constexpr Http1ParseError kInvalidStatusCode{400, "invalid status code"};
constexpr Http1ParseError kInvalidReasonPhrase{400, "invalid reason phrase"};
constexpr Http1ParseError kMissingHost{400, "missing Host header"};
constexpr Http1ParseError kMultipleHost{400, "multiple Host headers"};
constexpr Http1ParseError kContentLengthWithTransferEncoding{
    400, "Content-Length with Transfer-Encoding"};
constexpr Http1ParseError kMultipleContentLength{400, "multiple Content-Length headers"};
constexpr Http1ParseError kInvalidContentLength{400, "invalid Content-Length"};
constexpr Http1ParseError kTransferEncodingInHttp10{400, "Transfer-Encoding in HTTP/1.0 request"};
constexpr Http1ParseError kInvalidTransferEncoding{400, "invalid Transfer-Encoding"};
constexpr Http1ParseError kInvalidChunkSize{400, "invalid chunk size"};
constexpr Http1ParseError kInvalidChunkExtension{400, "invalid chunk extension"};
constexpr Http1ParseError kInvalidChunkedEncoding{400, "invalid chunked encoding"};
constexpr Http1ParseError kDataAfterClose{400, "data after the last message of the connection"};
constexpr Http1ParseError kIncompleteMessage{400, "connection closed inside a message"};
constexpr Http1ParseError kMalformed{400, "malformed HTTP/1.x message"};
constexpr Http1ParseError kHeadersTooLarge{431, "headers too large"};
constexpr Http1ParseError kTooManyHeaders{431, "too many headers"};
constexpr Http1ParseError kTrailersTooLarge{431, "trailers too large"};
constexpr Http1ParseError kTooManyTrailers{431, "too many trailers"};
constexpr Http1ParseError kUnsupportedTransferEncoding{501, "unsupported Transfer-Encoding"};
constexpr Http1ParseError kChunkedNotFinal{501, "chunked is not the final Transfer-Encoding"};

using ByteTable = std::array<bool, 256>;

// RFC 9110 5.6.2 tchar.
constexpr ByteTable MakeTokenTable() {
  ByteTable t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : absl::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}

// field-vchar / SP / HTAB (RFC 9110 5.5), obs-text included; also the reason phrase.
constexpr ByteTable MakeValueTable() {
  ByteTable t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0x7e; ++c) t[c] = true;
  for (int c = 0x80; c <= 0xff; ++c) t[c] = true;
  return t;
}

// Visible ASCII: what a request-target may consist of (llhttp narrows it further).
constexpr ByteTable MakeTargetTable() {
  ByteTable t{};
  for (int c = 0x21; c <= 0x7e; ++c) t[c] = true;
  return t;
}

constexpr ByteTable kTokenChar = MakeTokenTable();
constexpr ByteTable kValueChar = MakeValueTable();
constexpr ByteTable kTargetChar = MakeTargetTable();

constexpr absl::string_view kHttp1Prefix = "HTTP/1.";

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// True if every coding listed in the Transfer-Encoding fields is "chunked" (and there is one).
bool OnlyChunked(const HeaderMap& headers) {
  bool any = false;
  for (absl::string_view value : headers.GetAll("transfer-encoding")) {
    for (absl::string_view coding : absl::StrSplit(value, ',')) {
      coding = absl::StripAsciiWhitespace(coding);
      if (coding.empty()) continue;
      if (!absl::EqualsIgnoreCase(coding, "chunked")) return false;
      any = true;
    }
  }
  return any;
}

bool KeepAlive(int minor_version, uint16_t flags, BodyFraming framing) {
  const bool persistent = minor_version >= 1 ? (flags & F_CONNECTION_CLOSE) == 0
                                             : (flags & F_CONNECTION_KEEP_ALIVE) != 0;
  return persistent && framing != BodyFraming::kUntilClose;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction and llhttp wiring

const llhttp_settings_t& Http1Parser::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = &Http1Parser::OnUrl;
    s.on_status = &Http1Parser::OnStatus;
    s.on_header_field = &Http1Parser::OnHeaderField;
    s.on_header_field_complete = &Http1Parser::OnHeaderFieldComplete;
    s.on_header_value = &Http1Parser::OnHeaderValue;
    s.on_header_value_complete = &Http1Parser::OnHeaderValueComplete;
    s.on_headers_complete = &Http1Parser::OnHeadersComplete;
    s.on_body = &Http1Parser::OnBody;
    s.on_chunk_header = &Http1Parser::OnChunkHeader;
    s.on_message_complete = &Http1Parser::OnMessageComplete;
    return s;
  }();
  return settings;
}

Http1Parser::Http1Parser(Mode mode, Http1ParserCallbacks& callbacks, Http1ParserOptions options)
    : mode_(mode), callbacks_(&callbacks), options_(options) {
  llhttp_init(&parser_, mode == Mode::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &Settings());
  parser_.data = this;
  StartScan(/*trailers=*/false);
}

void Http1Parser::Reset(Http1ParserCallbacks& callbacks, Http1ParserOptions options) {
  callbacks_ = &callbacks;
  options_ = options;
  llhttp_init(&parser_, mode_ == Mode::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &Settings());
  parser_.data = this;
  error_ = Http1ParseError();
  scan_error_ = Http1ParseError();
  request_was_head_ = false;
  request_was_connect_ = false;
  ResetForNextMessage();  // keeps the capacity of the head and header storage
}

void Http1Parser::SetRequestMethod(absl::string_view method) {
  request_was_head_ = method == "HEAD";
  request_was_connect_ = method == "CONNECT";
}

int Http1Parser::Fail(Http1ParseError error) {
  if (error_.http_status == 0) error_ = error;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Feeding

Http1Parser::FeedResult Http1Parser::Feed(const char* data, size_t len) {
  switch (phase_) {
    case Phase::kMessageDone:
      return {0, Status::kMessageComplete};
    case Phase::kUpgraded:
      return {0, Status::kUpgrade};
    case Phase::kError:
      return {0, Status::kError};
    default:
      break;
  }
  size_t offset = 0;
  while (offset < len) {
    const char* chunk = data + offset;
    const size_t available = len - offset;
    size_t to_parse = available;
    size_t scanned = available;
    ScanOutcome outcome = ScanOutcome::kMore;
    if (phase_ == Phase::kHead || phase_ == Phase::kTrailers) {
      // The head is validated byte by byte first; llhttp sees only what passed, so the first
      // fault in byte order is the one reported.
      const ScanResult scan = Scan(chunk, available);
      to_parse = scan.valid_bytes;
      scanned = scan.scanned_bytes;
      outcome = scan.outcome;
    }
    size_t used = 0;
    Status status = Status::kNeedMoreData;
    if (to_parse > 0 && Execute(chunk, to_parse, used, status)) {
      return {offset + used, status};
    }
    offset += used;
    // llhttp stopped early at a boundary it reported (1xx head, start of trailers): go on from
    // there with a fresh scan.
    if (used < to_parse) continue;
    if (outcome == ScanOutcome::kError) {
      Fail(scan_error_);
      phase_ = Phase::kError;
      return {offset, Status::kError};
    }
    offset += scanned - to_parse;  // withheld whitespace: consumed, judged by the next bytes
  }
  return {offset, Status::kNeedMoreData};
}

bool Http1Parser::Execute(const char* data, size_t len, size_t& used, Status& status) {
  pause_reason_ = PauseReason::kNone;
  const llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (err == HPE_OK) {
    used = len;
    return false;
  }
  used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
  if (err == HPE_PAUSED) {
    switch (pause_reason_) {
      case PauseReason::kMessageComplete:
        phase_ = Phase::kMessageDone;
        status = Status::kMessageComplete;
        return true;
      case PauseReason::kInformational:
        llhttp_resume(&parser_);
        ResetForNextMessage();
        return false;
      case PauseReason::kTrailers:
        llhttp_resume(&parser_);
        phase_ = Phase::kTrailers;
        StartScan(/*trailers=*/true);
        return false;
      case PauseReason::kNone:
        break;
    }
  } else if (err == HPE_PAUSED_UPGRADE) {
    phase_ = Phase::kUpgraded;
    status = Status::kUpgrade;
    return true;
  }
  if (error_.http_status == 0) error_ = MapLlhttpError(err);
  phase_ = Phase::kError;
  status = Status::kError;
  return true;
}

Http1Parser::Status Http1Parser::Finish() {
  switch (phase_) {
    case Phase::kMessageDone:
      return Status::kMessageComplete;
    case Phase::kUpgraded:
      return Status::kUpgrade;
    case Phase::kError:
      return Status::kError;
    default:
      break;
  }
  // Nothing but (optional) empty lines since the last message: a clean close. (llhttp's own
  // idea of this is stale until it is next executed after a pause.)
  if (phase_ == Phase::kHead && token_size_ == 0 &&
      (scan_state_ == ScanState::kMethod || scan_state_ == ScanState::kResponseVersion)) {
    return Status::kNeedMoreData;
  }
  pause_reason_ = PauseReason::kNone;
  const llhttp_errno_t err = llhttp_finish(&parser_);
  if (err == HPE_PAUSED && pause_reason_ == PauseReason::kMessageComplete) {
    phase_ = Phase::kMessageDone;
    return Status::kMessageComplete;
  }
  if (err == HPE_OK) return Status::kNeedMoreData;
  Fail(err == HPE_INVALID_EOF_STATE ? kIncompleteMessage : MapLlhttpError(err));
  phase_ = Phase::kError;
  return Status::kError;
}

void Http1Parser::Resume() {
  if (phase_ == Phase::kMessageDone) {
    llhttp_resume(&parser_);
    ResetForNextMessage();
  } else if (phase_ == Phase::kUpgraded) {
    llhttp_resume_after_upgrade(&parser_);
    ResetForNextMessage();
  }
}

void Http1Parser::ResetForNextMessage() {
  phase_ = Phase::kHead;
  pause_reason_ = PauseReason::kNone;
  in_field_ = false;
  seen_content_length_ = false;
  seen_transfer_encoding_ = false;
  seen_host_ = false;
  seen_expect_ = false;
  is_upgrade_ = false;
  informational_ = false;
  if (mode_ == Mode::kRequest) {
    request_.method = absl::string_view();
    request_.target.clear();
    request_.headers.Clear();
    request_.keep_alive = request_.is_upgrade = request_.expect_100_continue = false;
    request_.framing = BodyFraming::kNone;
    request_.content_length = 0;
  } else {
    response_.status_code = 0;
    response_.reason.clear();
    response_.headers.Clear();
    response_.keep_alive = response_.is_upgrade = false;
    response_.framing = BodyFraming::kNone;
    response_.content_length = 0;
  }
  trailers_.Clear();
  StartScan(/*trailers=*/false);
}

Http1ParseError Http1Parser::MapLlhttpError(llhttp_errno_t err) const {
  const char* reason = llhttp_get_error_reason(&parser_);
  const absl::string_view detail = reason != nullptr ? reason : "";
  switch (err) {
    case HPE_INVALID_METHOD:
    case HPE_PAUSED_H2_UPGRADE:  // "PRI * HTTP/2.0": an HTTP/2 preface, not HTTP/1.x
      return kInvalidMethod;
    case HPE_INVALID_URL:
      return kInvalidTarget;
    case HPE_INVALID_VERSION:
      return kInvalidVersion;
    case HPE_INVALID_CONSTANT:
      // An RTSP-only method with HTTP/1.x, or something else where "HTTP/" belongs.
      return absl::StrContains(detail, "method") ? kInvalidMethod : kInvalidVersion;
    case HPE_INVALID_HEADER_TOKEN:
      return kInvalidHeaderField;
    case HPE_INVALID_CONTENT_LENGTH:
      return kInvalidContentLength;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return kContentLengthWithTransferEncoding;
    case HPE_INVALID_TRANSFER_ENCODING:
      // Requests: "chunked" followed by another coding (llhttp rejects it as it is parsed).
      return mode_ == Mode::kRequest ? kChunkedNotFinal : kInvalidTransferEncoding;
    case HPE_INVALID_CHUNK_SIZE:
      return kInvalidChunkSize;
    case HPE_STRICT:
      return absl::StrContains(detail, "extension") ? kInvalidChunkExtension
                                                    : kInvalidChunkedEncoding;
    case HPE_CR_EXPECTED:
    case HPE_LF_EXPECTED:
      return phase_ == Phase::kBody ? kInvalidChunkedEncoding : kCrWithoutLf;
    case HPE_INVALID_STATUS:
      return kInvalidStatusCode;
    case HPE_CLOSED_CONNECTION:
      return kDataAfterClose;
    case HPE_INVALID_EOF_STATE:
      return kIncompleteMessage;
    default:
      return kMalformed;
  }
}

// ---------------------------------------------------------------------------------------------
// The head/trailer validator

void Http1Parser::StartScan(bool trailers) {
  scanning_trailers_ = trailers;
  if (trailers) {
    scan_state_ = ScanState::kLineStart;
  } else {
    scan_state_ = mode_ == Mode::kRequest ? ScanState::kMethod : ScanState::kResponseVersion;
  }
  token_size_ = 0;
  section_bytes_ = 0;
  field_count_ = 0;
}

Http1Parser::ScanResult Http1Parser::ScanError(size_t offset, Http1ParseError error) {
  // Recorded, not yet the verdict: llhttp parses the bytes before `offset` first and may find
  // an earlier fault.
  scan_error_ = error;
  return {offset, offset, ScanOutcome::kError};
}

// One pass over the bytes of a head (start line + header section) or trailer section. Checks
// what llhttp lets through or reports vaguely; llhttp still parses the same bytes afterwards.
// The size limit is enforced on the bytes themselves, so an endless header is cut at the limit.
Http1Parser::ScanResult Http1Parser::Scan(const char* data, size_t len) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  const size_t room = options_.max_header_bytes - section_bytes_;
  const size_t n = std::min(len, room);
  ScanState s = scan_state_;
  // Start of whitespace after a header name in this call (0 if it began in an earlier one).
  size_t withheld_from = s == ScanState::kSpaceAfterName ? 0 : n;
  size_t i = 0;
  while (i < n) {
    const unsigned char c = bytes[i];
    switch (s) {
      case ScanState::kMethod:
        if (kTokenChar[c]) {
          ++token_size_;
          break;
        }
        if (c == ' ' && token_size_ > 0) {
          s = ScanState::kTarget;
          token_size_ = 0;
          break;
        }
        if (c == '\r' && token_size_ == 0) {  // empty line before the request line
          s = ScanState::kCr;
          cr_context_ = CrContext::kLeadingEmptyLine;
          break;
        }
        return ScanError(i, c == '\n' ? kBareLf : kInvalidMethod);
      case ScanState::kTarget: {
        const size_t start = i;
        while (i < n && kTargetChar[bytes[i]]) ++i;
        token_size_ += static_cast<uint32_t>(i - start);
        if (i == n) continue;
        const unsigned char d = bytes[i];
        if (d == ' ' && token_size_ > 0) {
          s = ScanState::kRequestVersion;
          token_size_ = 0;
          break;
        }
        // "GET /\r\n" is an HTTP/0.9 request: no version.
        const bool no_version = (d == '\r' || d == '\n') && token_size_ > 0;
        return ScanError(i, no_version ? kInvalidVersion : kInvalidTarget);
      }
      case ScanState::kRequestVersion:
      case ScanState::kResponseVersion:
        if (token_size_ < kHttp1Prefix.size()) {
          if (c == static_cast<unsigned char>(kHttp1Prefix[token_size_])) {
            ++token_size_;
            break;
          }
          if (token_size_ == 0 && c == '\r' && s == ScanState::kResponseVersion) {
            s = ScanState::kCr;
            cr_context_ = CrContext::kLeadingEmptyLine;
            break;
          }
          return ScanError(i, c == '\n' && token_size_ == 0 ? kBareLf : kInvalidVersion);
        }
        if (token_size_ == kHttp1Prefix.size()) {
          if (c == '0' || c == '1') {
            ++token_size_;
            break;
          }
          return ScanError(i, kInvalidVersion);
        }
        if (s == ScanState::kRequestVersion) {
          if (c == '\r') {
            s = ScanState::kCr;
            cr_context_ = CrContext::kStartLine;
            break;
          }
          return ScanError(i, c == '\n' ? kBareLf : kInvalidVersion);
        }
        if (c == ' ') {
          s = ScanState::kStatusCode;
          token_size_ = 0;
          break;
        }
        return ScanError(i, kInvalidVersion);
      case ScanState::kStatusCode:
        if (token_size_ < 3) {
          if (IsAsciiDigit(static_cast<char>(c))) {
            ++token_size_;
            break;
          }
          return ScanError(i, kInvalidStatusCode);
        }
        if (c == ' ') {
          s = ScanState::kReasonPhrase;
          break;
        }
        if (c == '\r') {  // "HTTP/1.1 200\r\n": the reason phrase may be absent
          s = ScanState::kCr;
          cr_context_ = CrContext::kStartLine;
          break;
        }
        return ScanError(i, c == '\n' ? kBareLf : kInvalidStatusCode);
      case ScanState::kReasonPhrase: {
        while (i < n && kValueChar[bytes[i]]) ++i;
        if (i == n) continue;
        const unsigned char d = bytes[i];
        if (d == '\r') {
          s = ScanState::kCr;
          cr_context_ = CrContext::kStartLine;
          break;
        }
        return ScanError(i, d == '\n' ? kBareLf : kInvalidReasonPhrase);
      }
      case ScanState::kCr:
        if (c != '\n') {
          return ScanError(i, cr_context_ == CrContext::kValue ? kInvalidValueChar : kCrWithoutLf);
        }
        switch (cr_context_) {
          case CrContext::kLeadingEmptyLine:
            s = mode_ == Mode::kRequest ? ScanState::kMethod : ScanState::kResponseVersion;
            break;
          case CrContext::kStartLine:
          case CrContext::kValue:
            s = ScanState::kLineStart;
            break;
          case CrContext::kEmptyLine:
            ++i;
            scan_state_ = ScanState::kDone;
            section_bytes_ += i;
            return {i, i, ScanOutcome::kSectionEnd};
        }
        break;
      case ScanState::kLineStart:
        if (kTokenChar[c]) {
          if (++field_count_ > options_.max_headers) {
            return ScanError(i, scanning_trailers_ ? kTooManyTrailers : kTooManyHeaders);
          }
          s = ScanState::kName;
          break;
        }
        if (c == '\r') {
          s = ScanState::kCr;
          cr_context_ = CrContext::kEmptyLine;
          break;
        }
        if (c == '\n') return ScanError(i, kBareLf);
        if (c == ' ' || c == '\t') return ScanError(i, kObsFold);
        if (c == ':') return ScanError(i, kEmptyName);
        return ScanError(i, kInvalidNameChar);
      case ScanState::kName: {
        while (i < n && kTokenChar[bytes[i]]) ++i;
        if (i == n) continue;
        const unsigned char d = bytes[i];
        if (d == ':') {
          s = ScanState::kValue;
          break;
        }
        if (d == ' ' || d == '\t') {
          // An error whatever follows; which one depends on the next non-blank byte.
          s = ScanState::kSpaceAfterName;
          withheld_from = i;
          break;
        }
        return ScanError(i, kInvalidNameChar);  // includes CR/LF: a line without ':'
      }
      case ScanState::kSpaceAfterName:
        if (c == ' ' || c == '\t') break;
        return ScanError(withheld_from, c == ':' ? kSpaceBeforeColon : kInvalidNameChar);
      case ScanState::kValue: {
        while (i < n && kValueChar[bytes[i]]) ++i;
        if (i == n) continue;
        const unsigned char d = bytes[i];
        if (d == '\r') {
          s = ScanState::kCr;
          cr_context_ = CrContext::kValue;
          break;
        }
        return ScanError(i, d == '\n' ? kBareLf : kInvalidValueChar);
      }
      case ScanState::kDone:
        // llhttp did not end the section where the scan did; they disagree on the framing.
        return ScanError(i, kMalformed);
    }
    ++i;
  }
  scan_state_ = s;
  section_bytes_ += n;
  if (n < len) {
    return ScanError(std::min(n, withheld_from),
                     scanning_trailers_ ? kTrailersTooLarge : kHeadersTooLarge);
  }
  return {std::min(n, withheld_from), n, ScanOutcome::kMore};
}

// ---------------------------------------------------------------------------------------------
// llhttp callbacks

int Http1Parser::OnUrl(llhttp_t* p, const char* at, size_t len) {
  static_cast<Http1Parser*>(p->data)->request_.target.append(at, len);
  return 0;
}

int Http1Parser::OnStatus(llhttp_t* p, const char* at, size_t len) {
  static_cast<Http1Parser*>(p->data)->response_.reason.append(at, len);
  return 0;
}

int Http1Parser::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  auto* self = static_cast<Http1Parser*>(p->data);
  HeaderMap& fields = self->CurrentFields();
  if (!self->in_field_) {
    fields.StartField();
    self->in_field_ = true;
  }
  fields.AppendToName(absl::string_view(at, len));
  return 0;
}

int Http1Parser::OnHeaderFieldComplete(llhttp_t* p) {
  auto* self = static_cast<Http1Parser*>(p->data);
  HeaderMap& fields = self->CurrentFields();
  if (self->phase_ == Phase::kHead) {
    // Framing and routing fields are judged here, before llhttp looks at their values, so
    // that the reason does not depend on which of two conflicting fields came first.
    const absl::string_view name = fields.PendingName();
    if (HeaderMap::NameEquals(name, "content-length")) {
      if (self->seen_transfer_encoding_) return self->Fail(kContentLengthWithTransferEncoding);
      // Repeated Content-Length is rejected even when the values agree (RFC 9110 8.6 allows
      // either); llhttp cannot merge them anyway.
      if (self->seen_content_length_) return self->Fail(kMultipleContentLength);
      self->seen_content_length_ = true;
    } else if (HeaderMap::NameEquals(name, "transfer-encoding")) {
      if (self->seen_content_length_) return self->Fail(kContentLengthWithTransferEncoding);
      self->seen_transfer_encoding_ = true;
    } else if (self->mode_ == Mode::kRequest && HeaderMap::NameEquals(name, "host")) {
      if (self->seen_host_) return self->Fail(kMultipleHost);
      self->seen_host_ = true;
    } else if (HeaderMap::NameEquals(name, "expect")) {
      self->seen_expect_ = true;
    }
  }
  fields.StartValue();
  return 0;
}

int Http1Parser::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  static_cast<Http1Parser*>(p->data)->CurrentFields().AppendToValue(absl::string_view(at, len));
  return 0;
}

int Http1Parser::OnHeaderValueComplete(llhttp_t* p) {
  auto* self = static_cast<Http1Parser*>(p->data);
  self->CurrentFields().FinishField();
  self->in_field_ = false;
  return 0;
}

int Http1Parser::OnHeadersComplete(llhttp_t* p) {
  return static_cast<Http1Parser*>(p->data)->HeadersComplete();
}

int Http1Parser::OnBody(llhttp_t* p, const char* at, size_t len) {
  static_cast<Http1Parser*>(p->data)->callbacks_->OnBodyData(absl::string_view(at, len));
  return 0;
}

int Http1Parser::OnChunkHeader(llhttp_t* p) {
  // The last chunk: stop so that Feed validates the trailer section like a head.
  if (p->content_length == 0) {
    static_cast<Http1Parser*>(p->data)->pause_reason_ = PauseReason::kTrailers;
    return HPE_PAUSED;
  }
  return 0;
}

int Http1Parser::OnMessageComplete(llhttp_t* p) {
  auto* self = static_cast<Http1Parser*>(p->data);
  if (self->phase_ == Phase::kTrailers && !self->trailers_.empty()) {
    self->callbacks_->OnTrailers(self->trailers_);
  }
  if (self->informational_) {
    self->pause_reason_ = PauseReason::kInformational;
    return HPE_PAUSED;
  }
  self->callbacks_->OnMessageComplete();
  // After an upgrade llhttp stops by itself with HPE_PAUSED_UPGRADE.
  if (self->is_upgrade_) return 0;
  self->pause_reason_ = PauseReason::kMessageComplete;
  return HPE_PAUSED;
}

// ---------------------------------------------------------------------------------------------
// Head completion

int Http1Parser::HeadersComplete() {
  if (parser_.http_major != 1 || parser_.http_minor > 1) return Fail(kInvalidVersion);
  phase_ = Phase::kBody;
  return mode_ == Mode::kRequest ? RequestHeadComplete() : ResponseHeadComplete();
}

bool Http1Parser::CheckRequestTarget() const {
  const absl::string_view target = request_.target;
  if (target.empty() || absl::StrContains(target, '#')) return false;
  if (parser_.method == HTTP_CONNECT) {
    // authority-form: host ":" port.
    if (target.find_first_of("/?@*") != absl::string_view::npos) return false;
    const size_t colon = target.rfind(':');
    if (colon == absl::string_view::npos || colon == 0 || colon + 1 == target.size()) {
      return false;
    }
    return std::all_of(target.begin() + colon + 1, target.end(), IsAsciiDigit);
  }
  if (target == "*") return parser_.method == HTTP_OPTIONS;
  if (target[0] == '/') return true;  // origin-form
  // absolute-form: scheme "://" ...
  if (!absl::ascii_isalpha(static_cast<unsigned char>(target[0]))) return false;
  size_t i = 1;
  while (i < target.size()) {
    const unsigned char c = static_cast<unsigned char>(target[i]);
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') break;
    ++i;
  }
  return absl::StartsWith(target.substr(i), "://") && target.size() > i + 3;
}

int Http1Parser::RequestHeadComplete() {
  RequestHead& head = request_;
  const int minor = parser_.http_minor;
  head.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  head.minor_version = minor;
  // Here rather than in on_url_complete, which llhttp calls at a point that depends on how
  // the input was split.
  if (!CheckRequestTarget()) return Fail(kInvalidTarget);
  if (minor == 1 && !seen_host_) return Fail(kMissingHost);
  if (seen_transfer_encoding_) {
    if (minor == 0) return Fail(kTransferEncodingInHttp10);
    if (!OnlyChunked(head.headers)) return Fail(kUnsupportedTransferEncoding);
  }
  const uint16_t flags = parser_.flags;
  head.is_upgrade = parser_.upgrade != 0;
  if (parser_.method == HTTP_CONNECT) {
    head.framing = BodyFraming::kNone;
  } else if (flags & F_CHUNKED) {
    head.framing = BodyFraming::kChunked;
  } else if (flags & F_CONTENT_LENGTH) {
    head.framing = BodyFraming::kContentLength;
    head.content_length = parser_.content_length;
  } else {
    head.framing = BodyFraming::kNone;
  }
  head.keep_alive = KeepAlive(minor, flags, head.framing);
  head.expect_100_continue = false;
  if (seen_expect_ && minor == 1) {
    const std::optional<absl::string_view> expect = head.headers.Get("expect");
    head.expect_100_continue =
        expect.has_value() && absl::EqualsIgnoreCase(*expect, "100-continue");
  }
  is_upgrade_ = head.is_upgrade;
  callbacks_->OnRequestHead(head);
  return 0;
}

int Http1Parser::ResponseHeadComplete() {
  ResponseHead& head = response_;
  const int status = parser_.status_code;
  if (status < 100) return Fail(kInvalidStatusCode);
  head.status_code = status;
  head.minor_version = parser_.http_minor;
  const uint16_t flags = parser_.flags;
  // Return values for llhttp: 0 parse a body as framed, 1 no body, 2 no body and then stop
  // with HPE_PAUSED_UPGRADE.
  int ret = 0;
  informational_ = status / 100 == 1 && status != 101;
  is_upgrade_ = status == 101 || (request_was_connect_ && status / 100 == 2);
  if (is_upgrade_) {
    head.framing = BodyFraming::kNone;
    ret = 2;
  } else if (informational_ || status == 204 || status == 304 || request_was_head_) {
    head.framing = BodyFraming::kNone;
    ret = 1;
  } else if (flags & F_CHUNKED) {
    head.framing = BodyFraming::kChunked;
  } else if (flags & F_TRANSFER_ENCODING) {
    head.framing = BodyFraming::kUntilClose;  // chunked is not the final coding
  } else if (flags & F_CONTENT_LENGTH) {
    head.framing = BodyFraming::kContentLength;
    head.content_length = parser_.content_length;
  } else {
    head.framing = BodyFraming::kUntilClose;
  }
  head.is_upgrade = is_upgrade_;
  head.keep_alive = KeepAlive(head.minor_version, flags, head.framing);
  callbacks_->OnResponseHead(head);
  return ret;
}

}  // namespace strata::http

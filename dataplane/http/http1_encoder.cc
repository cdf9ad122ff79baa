#include "dataplane/http/http1_encoder.h"

#include "absl/strings/str_cat.h"

namespace strata::http {
namespace {

void AppendFields(const HeaderMap& headers, std::string& out) {
  for (const HeaderView field : headers) {
    out.append(field.name.data(), field.name.size());
    out.append(": ", 2);
    out.append(field.value.data(), field.value.size());
    out.append("\r\n", 2);
  }
}

}  // namespace

void EncodeRequestHead(absl::string_view method, absl::string_view target, int minor_version,
                       const HeaderMap& headers, std::string& out) {
  out.reserve(out.size() + method.size() + target.size() + headers.ByteSize() + 4 * headers.size() +
              16);
  absl::StrAppend(&out, method, " ", target,
                  minor_version == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  AppendFields(headers, out);
  out.append("\r\n", 2);
}

void EncodeRequestHead(const RequestHead& head, std::string& out) {
  EncodeRequestHead(head.method, head.target, head.minor_version, head.headers, out);
}

void EncodeResponseHead(int status_code, absl::string_view reason, int minor_version,
                        const HeaderMap& headers, std::string& out) {
  if (reason.empty()) reason = ReasonPhrase(status_code);
  out.reserve(out.size() + reason.size() + headers.ByteSize() + 4 * headers.size() + 20);
  absl::StrAppend(&out, minor_version == 0 ? "HTTP/1.0 " : "HTTP/1.1 ", status_code, " ", reason,
                  "\r\n");
  AppendFields(headers, out);
  out.append("\r\n", 2);
}

void EncodeResponseHead(const ResponseHead& head, std::string& out) {
  EncodeResponseHead(head.status_code, head.reason, head.minor_version, head.headers, out);
}

absl::string_view ReasonPhrase(int status_code) {
  switch (status_code) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 103:
      return "Early Hints";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

void AppendChunkHeader(uint64_t size, std::string& out) {
  absl::StrAppend(&out, absl::Hex(size), "\r\n");
}

void AppendChunkEnd(std::string& out) { out.append("\r\n", 2); }

void AppendChunk(absl::string_view data, std::string& out) {
  if (data.empty()) return;
  AppendChunkHeader(data.size(), out);
  out.append(data.data(), data.size());
  AppendChunkEnd(out);
}

void AppendLastChunk(std::string& out, const HeaderMap* trailers) {
  out.append("0\r\n", 3);
  if (trailers != nullptr) AppendFields(*trailers, out);
  out.append("\r\n", 2);
}

}  // namespace strata::http

#include "dataplane/server/proxy_protocol_reader.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace strata::server {

namespace {

constexpr char kV1Signature[] = "PROXY ";
constexpr char kV2Signature[] = "\r\n\r\n\0\r\nQUIT\n";

// Whether `data` could still be the start of a PROXY header (v1 or v2 signature).
bool MayBeProxyHeader(const char* data, size_t n) {
  const size_t v1 = std::min(n, sizeof(kV1Signature) - 1);
  const size_t v2 = std::min(n, sizeof(kV2Signature) - 1);
  return std::memcmp(data, kV1Signature, v1) == 0 || std::memcmp(data, kV2Signature, v2) == 0;
}

}  // namespace

ProxyProtocolReader::ProxyProtocolReader(event::Dispatcher& dispatcher, int fd,
                                         absl::Duration timeout, bool allow_missing, Done done)
    : dispatcher_(dispatcher), fd_(fd), allow_missing_(allow_missing), done_(std::move(done)) {
  event_ = dispatcher_.CreateFileEvent(fd_, [this](uint32_t events) {
    if (events & (event::kRead | event::kClosed)) OnReadable();
  });
  timer_ =
      dispatcher_.CreateTimer([this] { Finish(std::nullopt, "PROXY protocol header timeout"); });
  if (timeout != absl::InfiniteDuration()) timer_->Enable(timeout);
}

ProxyProtocolReader::~ProxyProtocolReader() {
  event_.reset();
  if (fd_ >= 0) close(fd_);
}

int ProxyProtocolReader::TakeFd() {
  event_.reset();
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void ProxyProtocolReader::OnReadable() {
  if (finished_) return;
  char buffer[net::kProxyProtocolV2MaxBytes];
  const ssize_t n = recv(fd_, buffer, sizeof(buffer), MSG_PEEK);
  if (n == 0) {
    Finish(std::nullopt, "connection closed before the PROXY protocol header");
    return;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    Finish(std::nullopt, "read error before the PROXY protocol header");
    return;
  }
  const size_t size = static_cast<size_t>(n);
  if (allow_missing_ && !MayBeProxyHeader(buffer, size)) {
    Finish(std::nullopt, nullptr);  // a direct client: the connection goes on without one
    return;
  }
  const net::ProxyProtocolParser parser;
  const auto result = parser.Parse(absl::string_view(buffer, size));
  switch (result.status) {
    case net::ProxyProtocolParser::Status::kNeedMore:
      return;  // the rest raises another edge
    case net::ProxyProtocolParser::Status::kError:
      Finish(std::nullopt, "invalid PROXY protocol header");
      return;
    case net::ProxyProtocolParser::Status::kDone: {
      // Take exactly the header off the socket; what follows stays for TLS or HTTP.
      size_t taken = 0;
      while (taken < result.consumed) {
        const ssize_t r = recv(fd_, buffer, result.consumed - taken, 0);
        if (r <= 0) {
          if (r < 0 && errno == EINTR) continue;
          Finish(std::nullopt, "read error in the PROXY protocol header");
          return;
        }
        taken += static_cast<size_t>(r);
      }
      Finish(result.header, nullptr);
      return;
    }
  }
}

void ProxyProtocolReader::Finish(std::optional<net::ProxyHeader> header, const char* error) {
  if (finished_) return;
  finished_ = true;
  timer_->Disable();
  event_.reset();
  done_(*this, header, error);
}

}  // namespace strata::server

#include "dataplane/net/connection.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata::net {

Connection::Connection(event::Dispatcher& dispatcher, int fd,
                       std::unique_ptr<TransportSocket> transport, State state)
    : dispatcher_(dispatcher), fd_(fd), transport_(std::move(transport)), state_(state) {
  file_event_ = dispatcher_.CreateFileEvent(fd_, [this](uint32_t events) { OnFileEvent(events); });
}

Connection::~Connection() {
  file_event_.reset();
  if (fd_ >= 0) close(fd_);
}

std::unique_ptr<Connection> Connection::CreateServer(event::Dispatcher& dispatcher, int fd,
                                                     std::unique_ptr<TransportSocket> transport,
                                                     const Address& peer, const Address& local) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::unique_ptr<Connection> connection(
      new Connection(dispatcher, fd, std::move(transport), State::kOpen));
  connection->peer_ = peer;
  connection->local_ = local;
  connection->transport_->OnConnected(fd);
  return connection;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::CreateClient(
    event::Dispatcher& dispatcher, const Address& to, std::unique_ptr<TransportSocket> transport) {
  const int fd = socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int rc = connect(fd, to.sockaddr_ptr(), to.length());
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect to ", to.ToString(), ": ", std::strerror(err)));
  }
  std::unique_ptr<Connection> connection(
      new Connection(dispatcher, fd, std::move(transport), State::kConnecting));
  connection->peer_ = to;
  return connection;
}

void Connection::Write(absl::string_view bytes) {
  if (state_ != State::kOpen && state_ != State::kConnecting) return;
  write_buffer_.Append(bytes);
  ScheduleFlush();
}

void Connection::ScheduleFlush() {
  CheckWatermarks();
  if (!flush_scheduled_ && state_ != State::kConnecting && state_ != State::kClosed) {
    flush_scheduled_ = true;
    file_event_->Activate(event::kWrite);
  }
}

void Connection::ReadDisable(bool disable) {
  if (disable) {
    ++read_disable_count_;
    return;
  }
  if (read_disable_count_ == 0) return;
  if (--read_disable_count_ == 0 && (read_ready_ || !read_buffer_.empty())) {
    file_event_->Activate(event::kRead);
  }
}

void Connection::Close(CloseType type) {
  if (state_ == State::kClosed || state_ == State::kClosing) return;
  awaiting_ready_ = false;  // closing by choice: no kConnected any more
  if (type == CloseType::kNoFlush || write_buffer_.empty()) {
    CloseNow(ConnectionEvent::kLocalClose, /*graceful=*/type == CloseType::kFlushWrite);
    return;
  }
  // Flush what is queued, then close; stop reading meanwhile. A peer that does not read
  // cannot hold the connection open: it is closed anyway after the flush timeout.
  ++read_disable_count_;
  flush_timer_ = dispatcher_.CreateTimer([this] {
    close_reason_ = "close flush timeout";
    CloseNow(ConnectionEvent::kLocalClose);
  });
  flush_timer_->Enable(flush_timeout_);
  if (state_ == State::kConnecting) {
    close_after_connect_ = true;  // flushed once connected
    return;
  }
  state_ = State::kClosing;
  ScheduleFlush();
}

void Connection::ReleaseIdleMemory() {
  read_buffer_.ReleaseIfEmpty();
  write_buffer_.ReleaseIfEmpty();
  transport_->ReleaseIdleMemory();
}

void Connection::CloseNow(ConnectionEvent event, bool graceful) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  file_event_.reset();
  flush_timer_.reset();
  if (fd_ >= 0 && graceful) transport_->OnClose(fd_);
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  read_buffer_.ReleaseIfEmpty();
  if (callbacks_ != nullptr) callbacks_->OnEvent(event);
}

void Connection::CheckWatermarks() {
  const size_t size = write_buffer_.size();
  if (!above_high_watermark_ && size > high_watermark_) {
    above_high_watermark_ = true;
    if (callbacks_ != nullptr) callbacks_->OnAboveWriteHighWatermark();
  } else if (above_high_watermark_ && size <= high_watermark_ / 2) {
    above_high_watermark_ = false;
    if (callbacks_ != nullptr) callbacks_->OnBelowWriteLowWatermark();
  }
}

void Connection::OnFileEvent(uint32_t events) {
  if (state_ == State::kConnecting) {
    if (events & (event::kWrite | event::kClosed)) FinishConnect();
    return;
  }
  if (events & event::kWrite) {
    flush_scheduled_ = false;
    OnWriteReady();
    if (state_ == State::kClosed) return;
  }
  if (events & event::kClosed) peer_hung_up_ = true;
  if (events & event::kRead) OnReadReady();
}

void Connection::FinishConnect() {
  int error = 0;
  socklen_t len = sizeof(error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close_reason_ = "connect failed";
    CloseNow(ConnectionEvent::kRemoteClose);
    return;
  }
  sockaddr_storage local{};
  socklen_t local_len = sizeof(local);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
    local_ = Address::FromSockaddr(reinterpret_cast<sockaddr*>(&local), local_len);
  }
  state_ = close_after_connect_ ? State::kClosing : State::kOpen;
  transport_->OnConnected(fd_);
  // kConnected once the transport is ready too (a TLS handshake, a PROXY header sent).
  awaiting_ready_ = !close_after_connect_;
  RaiseConnectedOnceReady();
  if (state_ != State::kClosed && !write_buffer_.empty()) ScheduleFlush();
}

void Connection::RaiseConnectedOnceReady() {
  if (!awaiting_ready_ || state_ == State::kClosed || !transport_->Ready()) return;
  awaiting_ready_ = false;
  if (callbacks_ != nullptr) callbacks_->OnEvent(ConnectionEvent::kConnected);
  // Data queued during the handshake goes out now, whichever event completed it.
  if (state_ != State::kClosed && !write_buffer_.empty()) ScheduleFlush();
}

void Connection::OnWriteReady() {
  if (write_buffer_.empty() && !transport_->Ready()) {
    // A handshake may have bytes of its own waiting for the socket to become writable.
    const IoResult result = transport_->DoWrite(fd_, write_buffer_);
    if (result.action == IoResult::Action::kClose) {
      close_reason_ = result.error;
      CloseNow(ConnectionEvent::kRemoteClose);
      return;
    }
    RaiseConnectedOnceReady();
    return;
  }
  if (write_buffer_.empty()) {
    if (state_ == State::kClosing) CloseNow(ConnectionEvent::kLocalClose, /*graceful=*/true);
    return;
  }
  const IoResult result = transport_->DoWrite(fd_, write_buffer_);
  if (result.action == IoResult::Action::kClose) {
    close_reason_ = result.error;
    CloseNow(ConnectionEvent::kRemoteClose);
    return;
  }
  RaiseConnectedOnceReady();
  if (state_ == State::kClosed) return;
  CheckWatermarks();
  if (write_buffer_.empty()) {
    write_buffer_.ReleaseIfEmpty();
    if (state_ == State::kClosing) CloseNow(ConnectionEvent::kLocalClose, /*graceful=*/true);
  }
  // Otherwise the socket is full: the next EPOLLOUT edge calls us again.
}

void Connection::OnReadReady() {
  if (read_disable_count_ > 0) {
    read_ready_ = true;
    return;
  }
  read_ready_ = false;
  // Read at most one high watermark's worth per wake-up so one connection cannot starve the
  // others on this worker; if more is pending, come back on the next iteration.
  const size_t before = read_buffer_.size();
  const size_t room = high_watermark_ > before ? high_watermark_ - before : 0;
  IoResult result;
  if (room > 0 && !end_stream_read_) {
    result = transport_->DoRead(fd_, read_buffer_, room);
    // A short read stops early to save a syscall; when the peer already hung up, the EOF
    // behind the data will not raise another edge, so read on until it shows.
    if (peer_hung_up_ && result.action == IoResult::Action::kKeepOpen && !result.end_stream &&
        result.bytes < room) {
      const IoResult more = transport_->DoRead(fd_, read_buffer_, room - result.bytes);
      result.action = more.action;
      result.error = more.error;
      result.bytes += more.bytes;
      result.end_stream = more.end_stream;
    }
  }
  if (result.action == IoResult::Action::kClose) {
    close_reason_ = result.error;
    CloseNow(ConnectionEvent::kRemoteClose);
    return;
  }
  RaiseConnectedOnceReady();
  if (state_ == State::kClosed) return;
  if (result.end_stream) end_stream_read_ = true;
  if ((result.bytes > 0 || result.end_stream || !read_buffer_.empty()) && callbacks_ != nullptr) {
    callbacks_->OnData(read_buffer_, end_stream_read_);
  }
  if (state_ == State::kClosed) return;
  if (!end_stream_read_ && result.bytes >= room && room > 0) {
    // More may be waiting in the socket: read it now, or once reading is enabled again.
    if (read_disable_count_ == 0) {
      file_event_->Activate(event::kRead);
    } else {
      read_ready_ = true;
    }
  }
  read_buffer_.ReleaseIfEmpty();
}

}  // namespace strata::net

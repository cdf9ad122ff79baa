#ifndef STRATA_DATAPLANE_NET_CONNECTION_H_
#define STRATA_DATAPLANE_NET_CONNECTION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/net/address.h"
#include "dataplane/net/buffer.h"
#include "dataplane/net/transport_socket.h"

namespace strata::net {

enum class ConnectionEvent {
  kConnected,    // client connection established and its transport ready (TLS handshake done)
  kRemoteClose,  // peer closed, reset, or connect failed
  kLocalClose,   // Close() completed
};

class ConnectionCallbacks {
 public:
  virtual ~ConnectionCallbacks() = default;
  // New bytes are in `data` (the connection's read buffer). Drain what was consumed; the rest
  // stays for the next call. `end_stream` is true on every call after the peer finished
  // sending.
  virtual void OnData(Buffer& data, bool end_stream) = 0;
  virtual void OnEvent(ConnectionEvent event) = 0;
  // The write buffer crossed the high watermark upwards / the low watermark downwards.
  virtual void OnAboveWriteHighWatermark() {}
  virtual void OnBelowWriteLowWatermark() {}
};

// A non-blocking TCP connection on one dispatcher, with a transport socket, a read buffer, a
// write buffer with watermarks, and read disabling for backpressure. Destroy it through the
// dispatcher's DeferredDelete when inside one of its callbacks.
class Connection : public event::DeferredDeletable {
 public:
  enum class CloseType { kFlushWrite, kNoFlush };
  enum class State { kConnecting, kOpen, kClosing, kClosed };

  // Takes ownership of an accepted, non-blocking fd.
  static std::unique_ptr<Connection> CreateServer(event::Dispatcher& dispatcher, int fd,
                                                  std::unique_ptr<TransportSocket> transport,
                                                  const Address& peer, const Address& local);
  // Starts a non-blocking connect. OnEvent(kConnected) or OnEvent(kRemoteClose) follows.
  static absl::StatusOr<std::unique_ptr<Connection>> CreateClient(
      event::Dispatcher& dispatcher, const Address& to, std::unique_ptr<TransportSocket> transport);
  ~Connection() override;

  void SetCallbacks(ConnectionCallbacks* callbacks) { callbacks_ = callbacks; }
  // High watermark of the write buffer (low = high / 2) and the most read per wake-up.
  void SetBufferLimits(size_t high_watermark) { high_watermark_ = high_watermark; }
  // How long Close(kFlushWrite) waits for the peer to take the queued bytes.
  void SetFlushTimeout(absl::Duration timeout) { flush_timeout_ = timeout; }

  // Queues bytes; they are written at the end of the current loop iteration (so several
  // writes from one callback become one syscall).
  void Write(absl::string_view bytes);
  Buffer& write_buffer() { return write_buffer_; }
  // Call after appending to write_buffer() directly.
  void ScheduleFlush();
  // Nested: reading resumes when every disable has been matched by an enable.
  void ReadDisable(bool disable);
  bool ReadEnabled() const { return read_disable_count_ == 0; }
  void Close(CloseType type);
  // Drops any memory held while idle (empty buffers, TLS buffers).
  void ReleaseIdleMemory();

  State state() const { return state_; }
  bool AboveHighWatermark() const { return above_high_watermark_; }
  const Address& peer() const { return peer_; }
  const Address& local() const { return local_; }
  TransportSocket& transport() { return *transport_; }
  event::Dispatcher& dispatcher() { return dispatcher_; }
  int fd() const { return fd_; }
  // Why the connection closed, when it closed because of an error (static string).
  const char* close_reason() const { return close_reason_; }

 private:
  Connection(event::Dispatcher& dispatcher, int fd, std::unique_ptr<TransportSocket> transport,
             State state);
  void OnFileEvent(uint32_t events);
  void OnReadReady();
  void OnWriteReady();
  void FinishConnect();
  // `graceful`: a local close after the queued bytes were written (the transport may say
  // goodbye, e.g. TLS close_notify); not for aborts or errors.
  void CloseNow(ConnectionEvent event, bool graceful = false);
  // Client: raises kConnected once connected and the transport is ready.
  void RaiseConnectedOnceReady();
  void CheckWatermarks();

  event::Dispatcher& dispatcher_;
  int fd_;
  std::unique_ptr<TransportSocket> transport_;
  std::unique_ptr<event::FileEvent> file_event_;
  std::unique_ptr<event::Timer> flush_timer_;  // only while closing with a flush
  absl::Duration flush_timeout_ = absl::Seconds(1);
  ConnectionCallbacks* callbacks_ = nullptr;
  Buffer read_buffer_;
  Buffer write_buffer_;
  Address peer_;
  Address local_;
  State state_;
  size_t high_watermark_ = 1 << 20;
  uint32_t read_disable_count_ = 0;
  bool read_ready_ = false;  // readable edge seen while reads were disabled
  bool flush_scheduled_ = false;
  bool above_high_watermark_ = false;
  bool end_stream_read_ = false;
  bool peer_hung_up_ = false;         // EPOLLRDHUP/HUP seen
  bool close_after_connect_ = false;  // Close(kFlushWrite) while still connecting
  bool awaiting_ready_ = false;       // connected, kConnected not raised yet
  const char* close_reason_ = nullptr;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_CONNECTION_H_

#ifndef STRATA_DATAPLANE_HTTP_SERVER_SESSION_H_
#define STRATA_DATAPLANE_HTTP_SERVER_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/event/dispatcher.h"
#include "dataplane/http/hcm_config.h"
#include "dataplane/http/http1_parser.h"
#include "dataplane/http/worker_context.h"
#include "dataplane/net/connection.h"

namespace strata::http {

// One downstream HTTP/1.1 connection: parses requests, routes them, proxies each to an
// upstream (or answers locally), one request at a time in order (pipelined requests wait in
// the read buffer). Bodies stream in both directions with backpressure: when one side's write
// buffer passes its high watermark, reading from the other side stops until it drains.
//
// Lives on one worker. The worker owns it; it tells the worker when it has closed
// (WorkerContext::OnSessionClosed) and is then destroyed through DeferredDelete.
class ServerSession : public event::DeferredDeletable,
                      public net::ConnectionCallbacks,
                      public Http1ParserCallbacks {
 public:
  // Picks the HTTP settings once the TLS server name is known (null: no filter chain for it).
  using HcmResolver = std::function<HcmConfigConstSharedPtr(absl::string_view server_name)>;

  // `hcm` may be null for a TLS connection whose filter chain depends on the server name;
  // `resolver` then picks it when the first bytes arrive after the handshake.
  ServerSession(WorkerContext& worker, HcmConfigConstSharedPtr hcm,
                std::unique_ptr<net::Connection> connection, HcmResolver resolver = nullptr);
  ~ServerSession() override;
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Starts reading (arms the request-header timeout).
  void Start();
  // Graceful shutdown: an idle connection closes now, a busy one after its response.
  void Drain();

  net::Connection& connection() { return *downstream_; }

 private:
  class Upstream;
  friend class Upstream;
  enum class Phase : uint8_t {
    kIdle,     // waiting for the first byte of a request
    kHead,     // reading a request head
    kRequest,  // a request is being proxied or answered
    kTunnel,   // after an accepted upgrade: raw bytes both ways
    kClosed,
  };

  // net::ConnectionCallbacks (downstream).
  void OnData(net::Buffer& data, bool end_stream) override;
  void OnEvent(net::ConnectionEvent event) override;
  void OnAboveWriteHighWatermark() override;
  void OnBelowWriteLowWatermark() override;
  // Http1ParserCallbacks (requests).
  void OnRequestHead(RequestHead& head) override;
  void OnBodyData(absl::string_view data) override;
  void OnMessageComplete() override;

  void ParseRequests(net::Buffer& data);
  // Answers the current request without an upstream. With `close` the connection closes once
  // the reply is written; otherwise the rest of the request body is read and dropped.
  void SendLocalReply(int status, absl::string_view body, bool close,
                      absl::string_view location = {});
  // The response to the current request is complete.
  void OnResponseComplete(bool close);
  void StartTunnel();
  void ArmTunnelIdleTimer();
  void Close(bool flush);
  void ArmIdleTimer();
  void OnTimer();
  void LogRequest(int status);
  // The PROXY header for upstream connections of `transport` made for this client; empty when
  // the transport sends none.
  absl::string_view ProxyHeaderFor(const upstream::UpstreamTransport& transport);
  void CountStatus(int status);

  static constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

  WorkerContext& worker_;
  HcmConfigConstSharedPtr hcm_;  // set from the start, or after the TLS handshake
  HcmResolver resolver_;
  std::unique_ptr<net::Connection> downstream_;
  std::unique_ptr<Http1Parser> parser_;  // while a request is read or answered
  bool in_feed_ = false;                 // inside parser_->Feed (its callbacks run)
  std::unique_ptr<event::Timer> timer_;  // request-header, idle or tunnel idle timeout
  std::unique_ptr<Upstream> upstream_;
  Phase phase_ = Phase::kIdle;
  bool request_complete_ = false;   // the downstream request was read to its end
  bool response_complete_ = false;  // the response was written (or queued) in full
  bool local_reply_ = false;        // the current request was answered locally
  bool close_after_response_ = false;
  bool read_disabled_for_response_ = false;
  bool draining_ = false;
  uint64_t requests_ = 0;
  // For the access log and keep-alive decision of the current request.
  bool request_keep_alive_ = false;
  int request_minor_version_ = 1;
  absl::string_view request_method_;  // static storage
  event::MonoTime request_start_{};
  std::string log_authority_;
  std::string log_path_;
  uint64_t bytes_received_ = 0;
  int last_status_ = 0;
  bool upgrade_requested_ = false;
  std::string scratch_;  // encoding buffer, reused
  // The PROXY protocol header upstream connections made for this client start with (made on
  // first use, for the version of the cluster that asked).
  std::string proxy_header_;
  int proxy_header_version_ = 0;
  std::string peer_ip_;  // the client's address as text, made on first use
};

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_SERVER_SESSION_H_

#include "dataplane/http/server_session.h"

#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dataplane/http/http1_encoder.h"

namespace strata::http {

namespace {

// Hop-by-hop fields (RFC 9110 7.6.1) plus the framing fields the proxy writes itself.
bool IsHopByHop(absl::string_view name) {
  switch (name.size()) {
    case 2:
      return HeaderMap::NameEquals(name, "te");
    case 7:
      return HeaderMap::NameEquals(name, "trailer") || HeaderMap::NameEquals(name, "upgrade");
    case 10:
      return HeaderMap::NameEquals(name, "connection") || HeaderMap::NameEquals(name, "keep-alive");
    case 14:
      return HeaderMap::NameEquals(name, "content-length");
    case 16:
      return HeaderMap::NameEquals(name, "proxy-connection");
    case 17:
      return HeaderMap::NameEquals(name, "transfer-encoding");
    default:
      return false;
  }
}

// Removes the hop-by-hop fields, including those named by Connection.
void StripHopByHop(HeaderMap& headers) {
  if (auto connection = headers.GetJoined("connection")) {
    for (absl::string_view token : absl::StrSplit(*connection, ',')) {
      token = absl::StripAsciiWhitespace(token);
      if (!token.empty()) headers.Remove(token);
    }
  }
  for (size_t i = 0; i < headers.size();) {
    const absl::string_view name = headers.At(i).name;
    if (IsHopByHop(name)) {
      headers.Remove(std::string(name));  // Remove invalidates `name`
    } else {
      ++i;
    }
  }
}

// The router's header interfaces over our HeaderMap.
class RouterHeaders final : public router::HeaderMap, public router::HeaderLookup {
 public:
  explicit RouterHeaders(http::HeaderMap& headers) : headers_(headers) {}
  bool Contains(absl::string_view name) const override { return headers_.Has(name); }
  void Remove(absl::string_view name) override { headers_.Remove(name); }
  void Add(absl::string_view name, absl::string_view value) override { headers_.Add(name, value); }
  void Set(absl::string_view name, absl::string_view value) override { headers_.Set(name, value); }
  std::optional<absl::string_view> Get(absl::string_view name) const override {
    return headers_.Get(name);
  }

 private:
  http::HeaderMap& headers_;
};

std::string NewRequestId(upstream::FastRandom& random) {
  // A version 4 UUID.
  const uint64_t hi = (random.Next() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t lo = (random.Next() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char out[37];
  static constexpr char kHex[] = "0123456789abcdef";
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    const uint8_t byte = i < 8 ? static_cast<uint8_t>(hi >> (56 - 8 * i))
                               : static_cast<uint8_t>(lo >> (56 - 8 * (i - 8)));
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHex[byte >> 4];
    out[pos++] = kHex[byte & 15];
  }
  return std::string(out, pos);
}

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 15]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Upstream: one request's exchange with one upstream connection (plus retries).

class ServerSession::Upstream : public net::ConnectionCallbacks, public Http1ParserCallbacks {
 public:
  Upstream(ServerSession& session, RequestConfigSharedPtr config, const router::Route& route,
           std::string cluster_name)
      : session_(session),
        config_(std::move(config)),
        route_(route),
        cluster_name_(std::move(cluster_name)),
        parser_(Http1Parser::Mode::kResponse, *this) {}

  // Runs only from deferred deletion (never inside a callback of its connection), possibly
  // after the session is gone: it must not touch session_.
  ~Upstream() override {
    if (host_ != nullptr) host_->active_requests().fetch_sub(1, std::memory_order_relaxed);
    if (connection_ != nullptr) connection_->SetCallbacks(nullptr);
  }

  // Sends the encoded request head; body bytes follow with SendBody.
  void Start(std::string head, absl::string_view method, BodyFraming framing) {
    head_ = std::move(head);
    parser_.SetRequestMethod(method);
    chunked_request_ = framing == BodyFraming::kChunked;
    bodyless_ = framing == BodyFraming::kNone;
    const auto* forward = route_.forward();
    if (forward->timeout() != absl::InfiniteDuration()) {
      route_timer_ = session_.worker_.dispatcher().CreateTimer([this] { OnRouteTimeout(); });
      route_timer_->Enable(forward->timeout());
    }
    Connect();
  }

  void SendBody(absl::string_view data) {
    if (data.empty()) return;
    std::string& scratch = session_.scratch_;
    if (chunked_request_) {
      scratch.clear();
      AppendChunkHeader(data.size(), scratch);
      pending_.Append(scratch);
      pending_.Append(data);
      pending_.Append("\r\n", 2);
    } else {
      pending_.Append(data);
    }
    Flush();
  }

  void EndBody() {
    if (chunked_request_) pending_.Append("0\r\n\r\n", 5);
    request_sent_ = true;
    Flush();
  }

  // Downstream backpressure: the client reads slowly, so stop reading the upstream.
  void SetReadDisabled(bool disabled) {
    if (disabled == read_disabled_) return;
    read_disabled_ = disabled;
    if (connection_ != nullptr) connection_->ReadDisable(disabled);
  }

  bool response_started() const { return response_started_; }
  void TunnelData(absl::string_view data) {
    if (connection_ != nullptr) connection_->Write(data);
  }
  void TunnelEnd() {
    if (connection_ != nullptr) connection_->Close(net::Connection::CloseType::kFlushWrite);
  }

 private:
  // Picks a host and gets a connection to it. Bytes already queued (head and body so far) are
  // written once connected; if nothing has reached a failed connection, they are replayed on
  // the next attempt.
  void Connect() {
    WorkerContext& worker = session_.worker_;
    WorkerCluster* cluster = worker.FindCluster(cluster_name_);
    if (cluster == nullptr) {
      Fail(503, absl::StrCat("cluster not found: ", cluster_name_));
      return;
    }
    cluster_ = cluster->cluster;
    upstream::Host* host = cluster->lb->Choose(worker.random());
    if (host == nullptr) {
      worker.stats().upstream_rq_no_healthy.Inc();
      Fail(503, "no healthy upstream");
      return;
    }
    if (outlier_ != cluster->outlier_detector) outlier_ = cluster->outlier_detector;
    if (cluster->health_checker != nullptr && !cluster->traffic_reported) {
      cluster->health_checker->ReportTraffic();
      cluster->traffic_reported = true;
    }
    // The host lives as long as its cluster: share the cluster's ownership.
    if (host_ != nullptr) host_->active_requests().fetch_sub(1, std::memory_order_relaxed);
    host_ = upstream::HostSharedPtr(cluster_, host);
    host_->active_requests().fetch_add(1, std::memory_order_relaxed);
    ++attempts_;
    reused_ = false;
    // A cluster that sends PROXY protocol keeps each client's connections apart.
    transport_ = cluster_->transport();
    client_key_ = session_.ProxyHeaderFor(*transport_);
    connection_ =
        worker.conn_pool().Acquire(upstream::PoolKey{host_.get(), transport_.get(), client_key_});
    if (connection_ != nullptr) {
      reused_ = true;
      worker.stats().upstream_cx_reused.Inc();
    } else {
      auto created = net::Connection::CreateClient(worker.dispatcher(), host_->address(),
                                                   transport_->NewSocket(std::string(client_key_)));
      if (!created.ok()) {
        worker.stats().upstream_cx_connect_fail.Inc();
        RecordOutcome(upstream::OutlierDetector::ResultKind::kConnectFailed);
        OnConnectFailure(nullptr);
        return;
      }
      worker.stats().upstream_cx_total.Inc();
      connection_ = std::move(*created);
      // Covers the TCP connect and the transport's handshake (kConnected ends both).
      connect_timer_ = worker.dispatcher().CreateTimer([this] {
        session_.worker_.stats().upstream_cx_connect_fail.Inc();
        RecordOutcome(upstream::OutlierDetector::ResultKind::kConnectFailed);
        DropConnection();
        OnConnectFailure("connect timeout");
      });
      connect_timer_->Enable(cluster_->connect_timeout());
    }
    connection_->SetCallbacks(this);
    connection_->SetBufferLimits(cluster_->per_connection_buffer_limit());
    if (read_disabled_) connection_->ReadDisable(true);
    connection_->Write(head_);
    if (!bodyless_) head_.clear();  // a streamed body cannot be replayed: no retries then
    Flush();
  }

  void Flush() {
    if (connection_ == nullptr || pending_.empty()) return;
    connection_->Write(pending_.view());
    pending_.Clear();
    pending_.ReleaseIfEmpty();
  }

  // Tells the cluster's outlier detector how the exchange with host_ went.
  void RecordOutcome(upstream::OutlierDetector::ResultKind kind) {
    if (outlier_ != nullptr && host_ != nullptr) outlier_->RecordResult(*host_, kind);
  }

  void DropConnection() {
    if (connect_timer_ != nullptr) connect_timer_->Disable();
    if (connection_ == nullptr) return;
    connection_->SetCallbacks(nullptr);
    connection_->Close(net::Connection::CloseType::kNoFlush);
    session_.worker_.dispatcher().DeferredDelete(std::move(connection_));
  }

  // Retry after a failed connection attempt, if the route allows it and nothing was lost.
  // `reason` (a static string, may be null) says why, e.g. a TLS handshake failure.
  void OnConnectFailure(const char* reason) {
    const router::RetryPolicy* policy = route_.forward()->retry_policy();
    const bool can_replay = bodyless_ && !head_.empty();
    if (policy != nullptr && policy->RetriesReset(/*connect_failure=*/true) &&
        attempts_ <= policy->num_retries && can_replay) {
      session_.worker_.stats().upstream_rq_retry.Inc();
      Connect();
      return;
    }
    if (reason == nullptr) {
      Fail(503, "upstream connect error");
    } else {
      Fail(503, absl::StrCat("upstream connect error: ", reason));
    }
  }

  // The upstream went away before answering.
  void OnReset() {
    session_.worker_.stats().upstream_rq_reset.Inc();
    const bool can_replay = bodyless_ && !head_.empty();
    // A pooled connection the upstream closed just as we reused it: replay once on a fresh
    // connection, which is safe because no byte of a response came back.
    if (reused_ && can_replay && !replayed_on_fresh_) {
      replayed_on_fresh_ = true;
      DropConnection();
      Connect();
      return;
    }
    RecordOutcome(upstream::OutlierDetector::ResultKind::kReset);
    const router::RetryPolicy* policy = route_.forward()->retry_policy();
    if (policy != nullptr && policy->RetriesReset(/*connect_failure=*/false) &&
        attempts_ <= policy->num_retries && can_replay) {
      session_.worker_.stats().upstream_rq_retry.Inc();
      DropConnection();
      Connect();
      return;
    }
    DropConnection();
    Fail(502, "upstream reset before response");
  }

  void OnRouteTimeout() {
    session_.worker_.stats().upstream_rq_timeout.Inc();
    if (!response_started_) RecordOutcome(upstream::OutlierDetector::ResultKind::kTimeout);
    DropConnection();
    if (!response_started_) {
      Fail(504, "upstream request timeout");
    } else {
      session_.Close(/*flush=*/true);  // cut a response that stalled midway
    }
  }

  // Answers the client with an error; this object is destroyed by the session.
  void Fail(int status, absl::string_view reason) {
    if (route_timer_ != nullptr) route_timer_->Disable();
    if (connect_timer_ != nullptr) connect_timer_->Disable();
    session_.SendLocalReply(status, reason, /*close=*/!session_.request_complete_);
  }

  // --- upstream connection callbacks
  void OnEvent(net::ConnectionEvent event) override {
    if (event == net::ConnectionEvent::kConnected) {
      if (connect_timer_ != nullptr) connect_timer_->Disable();
      RecordOutcome(upstream::OutlierDetector::ResultKind::kConnectSuccess);
      return;
    }
    if (event == net::ConnectionEvent::kLocalClose) return;
    // Remote close or failed connect.
    const bool connecting = connect_timer_ != nullptr && connect_timer_->Enabled();
    if (session_.phase_ == Phase::kTunnel) {
      DropConnection();
      session_.Close(/*flush=*/true);
      return;
    }
    if (connecting) {
      session_.worker_.stats().upstream_cx_connect_fail.Inc();
      RecordOutcome(upstream::OutlierDetector::ResultKind::kConnectFailed);
      const char* reason = connection_->close_reason();
      DropConnection();
      OnConnectFailure(reason);
      return;
    }
    if (!response_started_) {
      OnReset();
      return;
    }
    // Mid-response: a close-delimited body ends here; anything else was cut short.
    const Http1Parser::Status status = parser_.Finish();
    if (status != Http1Parser::Status::kMessageComplete) {
      DropConnection();
      session_.Close(/*flush=*/true);
    }
  }

  void OnData(net::Buffer& data, bool end_stream) override {
    if (session_.phase_ == Phase::kTunnel) {
      session_.downstream_->Write(data.view());
      data.Drain(data.size());
      session_.ArmTunnelIdleTimer();
      if (end_stream) session_.Close(/*flush=*/true);
      return;
    }
    const Http1Parser::FeedResult result = parser_.Feed(data.data(), data.size());
    data.Drain(result.consumed);
    switch (result.status) {
      case Http1Parser::Status::kNeedMoreData:
        if (end_stream) {
          if (!response_started_) {
            OnReset();
          } else if (parser_.Finish() != Http1Parser::Status::kMessageComplete) {
            DropConnection();
            session_.Close(/*flush=*/true);
          }
        }
        return;
      case Http1Parser::Status::kMessageComplete:
        return;  // handled in OnMessageComplete
      case Http1Parser::Status::kUpgrade:
        // 101 accepted: what follows on both sides is the tunnel.
        if (!data.empty()) {
          session_.downstream_->Write(data.view());
          data.Drain(data.size());
        }
        session_.StartTunnel();
        return;
      case Http1Parser::Status::kError:
        if (!response_started_) {
          // No usable response came back: for outlier detection, a broken exchange.
          RecordOutcome(upstream::OutlierDetector::ResultKind::kReset);
          DropConnection();
          Fail(502, absl::StrCat("upstream sent an invalid response: ", parser_.error().reason));
        } else {
          DropConnection();
          session_.Close(/*flush=*/true);
        }
        return;
    }
  }

  void OnAboveWriteHighWatermark() override {
    // The upstream reads the request body slowly: stop reading it from the client.
    session_.downstream_->ReadDisable(true);
    upstream_backpressure_ = true;
  }
  void OnBelowWriteLowWatermark() override {
    if (upstream_backpressure_) {
      upstream_backpressure_ = false;
      session_.downstream_->ReadDisable(false);
    }
  }

 public:
  void ReleaseBackpressure() {
    if (upstream_backpressure_) {
      upstream_backpressure_ = false;
      session_.downstream_->ReadDisable(false);
    }
  }

 private:
  // --- response parser callbacks
  void OnResponseHead(ResponseHead& head) override {
    if (head.status_code < 200 && head.status_code != 101) return;  // 100/103: not forwarded
    RecordOutcome(upstream::OutlierDetector::ResultKindForStatus(head.status_code));
    const bool upgrade = head.status_code == 101;
    if (upgrade && !session_.upgrade_requested_) {
      DropConnection();
      Fail(502, "upstream switched protocols without an upgrade request");
      return;
    }
    const router::RetryPolicy* policy = route_.forward()->retry_policy();
    if (!upgrade && policy != nullptr && policy->RetriesStatus(head.status_code) &&
        attempts_ <= policy->num_retries && bodyless_ && !head_.empty()) {
      // Try again elsewhere; this response is dropped with its connection.
      session_.worker_.stats().upstream_rq_retry.Inc();
      retrying_ = true;
      return;
    }
    response_started_ = true;
    status_ = head.status_code;
    if (upgrade && route_timer_ != nullptr) route_timer_->Disable();  // tunnels use idle time
    upstream_keep_alive_ = head.keep_alive;
    HeaderMap& headers = head.headers;
    const bool keep_upgrade = upgrade;
    std::string upgrade_value;
    if (keep_upgrade) upgrade_value = std::string(headers.Get("upgrade").value_or("websocket"));
    const std::optional<absl::string_view> length = headers.Get("content-length");
    std::string length_value = length ? std::string(*length) : std::string();
    StripHopByHop(headers);
    RouterHeaders mutable_headers(headers);
    route_.ApplyResponseHeaderMutations(mutable_headers);

    // Framing towards the client.
    bool close =
        !session_.request_keep_alive_ || session_.close_after_response_ || session_.draining_;
    chunked_response_ = false;
    if (upgrade) {
      headers.Set("connection", "upgrade");
      headers.Set("upgrade", upgrade_value);
    } else {
      switch (head.framing) {
        case BodyFraming::kContentLength:
          headers.Set("content-length", length_value);
          break;
        case BodyFraming::kNone:
          // HEAD, 204, 304: keep a Content-Length the upstream announced.
          if (!length_value.empty() && head.status_code != 204) {
            headers.Set("content-length", length_value);
          }
          break;
        case BodyFraming::kChunked:
        case BodyFraming::kUntilClose:
          if (session_.request_minor_version_ >= 1) {
            headers.Set("transfer-encoding", "chunked");
            chunked_response_ = true;
          } else {
            close = true;  // an HTTP/1.0 client reads to the end of the connection
          }
          break;
      }
      if (close) {
        headers.Set("connection", "close");
      } else if (session_.request_minor_version_ == 0) {
        headers.Set("connection", "keep-alive");
      }
    }
    close_downstream_ = close;
    std::string& out = session_.scratch_;
    out.clear();
    EncodeResponseHead(head.status_code, head.reason, 1, headers, out);
    session_.downstream_->Write(out);
  }

  void OnBodyData(absl::string_view data) override {
    if (retrying_ || data.empty()) return;
    if (chunked_response_) {
      std::string& out = session_.scratch_;
      out.clear();
      AppendChunkHeader(data.size(), out);
      net::Buffer& buffer = session_.downstream_->write_buffer();
      buffer.Append(out);
      buffer.Append(data);
      buffer.Append("\r\n", 2);
      session_.downstream_->ScheduleFlush();
    } else {
      session_.downstream_->Write(data);
    }
  }

  void OnMessageComplete() override {
    if (status_ == 101) return;  // the tunnel starts; the exchange does not end here
    if (retrying_) {
      retrying_ = false;
      DropConnection();
      Connect();
      return;
    }
    if (route_timer_ != nullptr) route_timer_->Disable();
    if (chunked_response_) session_.downstream_->Write(absl::string_view("0\r\n\r\n", 5));
    // Reuse the upstream connection only if it is clean: keep-alive, the whole request went
    // out, and nothing is left unparsed.
    if (upstream_keep_alive_ && request_sent_ && connection_ != nullptr &&
        connection_->write_buffer().empty()) {
      if (read_disabled_) connection_->ReadDisable(false);
      read_disabled_ = false;
      connection_->SetCallbacks(nullptr);
      session_.worker_.conn_pool().Release(host_, transport_, client_key_, std::move(connection_));
    } else {
      DropConnection();
    }
    session_.last_status_ = status_;
    session_.OnResponseComplete(close_downstream_);
  }

  ServerSession& session_;
  const RequestConfigSharedPtr config_;  // keeps route_ alive
  const router::Route& route_;
  const std::string cluster_name_;
  upstream::ClusterConstSharedPtr cluster_;
  upstream::HostSharedPtr host_;
  upstream::UpstreamTransportConstSharedPtr transport_;  // the connection's transport
  absl::string_view client_key_;  // the PROXY header it starts with (the session's)
  std::shared_ptr<upstream::OutlierDetector> outlier_;  // of the cluster host_ came from
  std::unique_ptr<net::Connection> connection_;
  std::unique_ptr<event::Timer> connect_timer_;
  std::unique_ptr<event::Timer> route_timer_;
  Http1Parser parser_;
  std::string head_;     // kept while a retry could still replay it
  net::Buffer pending_;  // body bytes waiting for a connection
  int status_ = 0;
  uint32_t attempts_ = 0;
  bool chunked_request_ = false;
  bool bodyless_ = false;
  bool request_sent_ = false;
  bool reused_ = false;
  bool replayed_on_fresh_ = false;
  bool response_started_ = false;
  bool retrying_ = false;
  bool upstream_keep_alive_ = false;
  bool chunked_response_ = false;
  bool close_downstream_ = false;
  bool read_disabled_ = false;
  bool upstream_backpressure_ = false;
};

// ---------------------------------------------------------------------------------------

ServerSession::ServerSession(WorkerContext& worker, HcmConfigConstSharedPtr hcm,
                             std::unique_ptr<net::Connection> connection, HcmResolver resolver)
    : worker_(worker),
      hcm_(std::move(hcm)),
      resolver_(std::move(resolver)),
      downstream_(std::move(connection)) {
  downstream_->SetCallbacks(this);
  timer_ = worker_.dispatcher().CreateTimer([this] { OnTimer(); });
}

ServerSession::~ServerSession() {
  upstream_.reset();
  if (downstream_ != nullptr) downstream_->SetCallbacks(nullptr);
  // Upstream connections that speak for this client serve nobody else.
  if (!proxy_header_.empty()) worker_.conn_pool().DrainClient(proxy_header_);
}

absl::string_view ServerSession::ProxyHeaderFor(const upstream::UpstreamTransport& transport) {
  const int version = transport.proxy_protocol_version();
  if (version == 0) return {};
  if (version != proxy_header_version_) {
    if (!proxy_header_.empty()) worker_.conn_pool().DrainClient(proxy_header_);
    proxy_header_ = transport.ProxyHeader(downstream_->peer(), downstream_->local());
    proxy_header_version_ = version;
  }
  return proxy_header_;
}

void ServerSession::Start() {
  worker_.stats().downstream_cx_total.Inc();
  if (hcm_ == nullptr) {
    // TLS: the handshake (which picks the filter chain by SNI) must finish in time.
    timer_->Enable(kHandshakeTimeout);
    return;
  }
  // The first request must arrive within the header timeout, as any later one.
  if (hcm_->request_headers_timeout != absl::InfiniteDuration()) {
    timer_->Enable(hcm_->request_headers_timeout);
  } else {
    ArmIdleTimer();
  }
}

void ServerSession::Drain() {
  draining_ = true;
  if (phase_ == Phase::kIdle) Close(/*flush=*/true);
  // Otherwise the current response carries Connection: close.
}

void ServerSession::ArmIdleTimer() {
  if (hcm_ != nullptr && hcm_->idle_timeout != absl::InfiniteDuration()) {
    timer_->Enable(hcm_->idle_timeout);
  } else {
    timer_->Disable();
  }
}

void ServerSession::OnTimer() {
  if (hcm_ == nullptr) {  // the TLS handshake did not finish
    Close(/*flush=*/false);
    return;
  }
  if (phase_ == Phase::kTunnel) {  // nothing crossed the tunnel for stream_idle_timeout
    Close(/*flush=*/false);
    return;
  }
  if (phase_ == Phase::kHead || (phase_ == Phase::kIdle && requests_ == 0 &&
                                 hcm_->request_headers_timeout != absl::InfiniteDuration())) {
    // Slow or silent client: 408 if it sent anything, else just close.
    worker_.stats().downstream_rq_header_timeout.Inc();
    if (phase_ == Phase::kHead) {
      SendLocalReply(408, "request header timeout", /*close=*/true);
      return;
    }
  }
  Close(/*flush=*/false);
}

void ServerSession::OnData(net::Buffer& data, bool end_stream) {
  if (phase_ == Phase::kClosed) {
    data.Drain(data.size());
    return;
  }
  if (phase_ == Phase::kTunnel) {
    ArmTunnelIdleTimer();
    if (upstream_ != nullptr) upstream_->TunnelData(data.view());
    bytes_received_ += data.size();
    data.Drain(data.size());
    if (end_stream) {
      if (upstream_ != nullptr) upstream_->TunnelEnd();
      Close(/*flush=*/true);
    }
    return;
  }
  if (hcm_ == nullptr) {
    // The first bytes after the TLS handshake: the server name decides the filter chain.
    hcm_ = resolver_ ? resolver_(downstream_->transport().ServerName()) : nullptr;
    if (hcm_ == nullptr) {
      Close(/*flush=*/false);
      return;
    }
    resolver_ = nullptr;  // used once; frees what it holds
    if (hcm_->request_headers_timeout != absl::InfiniteDuration()) {
      timer_->Enable(hcm_->request_headers_timeout);
    } else {
      ArmIdleTimer();
    }
  }
  ParseRequests(data);
  if (end_stream && phase_ != Phase::kClosed) {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHead) {
      Close(/*flush=*/true);  // nothing more will come
    } else if (!request_complete_) {
      Close(/*flush=*/false);  // the client gave up mid-request
    } else {
      close_after_response_ = true;  // half-close after a full request: answer, then close
    }
  }
}

void ServerSession::ParseRequests(net::Buffer& data) {
  while (!data.empty() && phase_ != Phase::kClosed && !read_disabled_for_response_) {
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHead;
      if (parser_ == nullptr) {
        // Taken from the worker per exchange: an idle connection holds no parser.
        parser_ = worker_.parser_pool().Take(
            *this, Http1ParserOptions{hcm_->max_request_headers_bytes, hcm_->max_headers_count});
      }
      request_start_ = worker_.dispatcher().Now();
      if (hcm_->request_headers_timeout != absl::InfiniteDuration()) {
        timer_->Enable(hcm_->request_headers_timeout);
      }
    }
    const size_t before = data.size();
    in_feed_ = true;
    const Http1Parser::FeedResult result = parser_->Feed(data.data(), data.size());
    in_feed_ = false;
    // The exchange ended inside Feed (a local reply): release the parser now.
    if (phase_ == Phase::kIdle && result.status != Http1Parser::Status::kError) {
      worker_.parser_pool().Give(std::move(parser_));
    }
    bytes_received_ += result.consumed;
    data.Drain(result.consumed);
    switch (result.status) {
      case Http1Parser::Status::kNeedMoreData:
        if (result.consumed == 0 && before > 0) return;
        continue;
      case Http1Parser::Status::kMessageComplete:
        // Answered already (a local reply): go on with the next pipelined request.
        if (local_reply_ && response_complete_ && phase_ == Phase::kRequest) {
          OnResponseComplete(close_after_response_);
          continue;
        }
        // Pipelined bytes wait until the response is out (answered in order).
        if (phase_ == Phase::kRequest && !response_complete_) {
          downstream_->ReadDisable(true);
          read_disabled_for_response_ = true;
        }
        return;
      case Http1Parser::Status::kUpgrade:
        // The request asked to switch protocols; hold further bytes until the upstream agrees.
        if (phase_ == Phase::kRequest && !response_complete_) {
          downstream_->ReadDisable(true);
          read_disabled_for_response_ = true;
          request_complete_ = true;
          if (upstream_ != nullptr) upstream_->EndBody();
        }
        return;
      case Http1Parser::Status::kError: {
        worker_.stats().downstream_rq_rejected.Inc();
        const Http1ParseError& error = parser_->error();
        if (phase_ == Phase::kHead || phase_ == Phase::kIdle) {
          phase_ = Phase::kRequest;
          SendLocalReply(error.http_status, error.reason, /*close=*/true);
        } else if (upstream_ != nullptr && upstream_->response_started()) {
          Close(/*flush=*/true);  // a broken body after the response began: just cut
        } else {
          upstream_.reset();
          SendLocalReply(error.http_status, error.reason, /*close=*/true);
        }
        return;
      }
    }
  }
}

void ServerSession::OnRequestHead(RequestHead& head) {
  timer_->Disable();
  phase_ = Phase::kRequest;
  ++requests_;
  worker_.stats().downstream_rq_total.Inc();
  request_complete_ = false;
  response_complete_ = false;
  local_reply_ = false;
  last_status_ = 0;
  upgrade_requested_ = false;
  request_keep_alive_ = head.keep_alive && !draining_ && !worker_.draining();
  request_minor_version_ = head.minor_version;
  request_method_ = head.method;
  if (hcm_->access_log) {
    log_authority_ = std::string(head.headers.Get("host").value_or(""));
    log_path_ = head.target;
  }

  // Route.
  RequestConfigSharedPtr config = worker_.config();
  const router::RouteTable* table = hcm_->route_table.get();
  if (table == nullptr) table = config->FindRouteTable(hcm_->rds_name);
  if (table == nullptr) {
    SendLocalReply(503, "route configuration not available", !head.keep_alive);
    return;
  }
  RouterHeaders headers(head.headers);
  const absl::string_view authority = head.headers.Get("host").value_or("");
  router::RequestView view;
  view.authority = authority;
  view.path = head.target;
  view.method = head.method;
  view.scheme = downstream_->transport().Secure() ? "https" : "http";
  view.headers = &headers;
  view.random = worker_.random().Next();
  const router::RouteTable::MatchResult match = table->Match(view);
  if (match.route == nullptr) {
    worker_.stats().downstream_rq_no_route.Inc();
    SendLocalReply(404, match.virtual_host == nullptr ? "unknown host" : "no route", false);
    return;
  }
  const router::Route& route = *match.route;
  if (const auto* direct = route.direct_response()) {
    SendLocalReply(static_cast<int>(direct->status), direct->body, false);
    return;
  }
  if (route.redirect() != nullptr) {
    const std::string location = route.RedirectLocation(view);
    SendLocalReply(static_cast<int>(route.redirect()->response_code), "", false, location);
    return;
  }
  const router::ForwardAction& forward = *route.forward();
  const absl::string_view cluster = forward.PickCluster(worker_.random().Next());

  if (head.is_upgrade) {
    const auto upgrade = head.headers.Get("upgrade");
    if (!hcm_->websocket_upgrades || !upgrade || !absl::EqualsIgnoreCase(*upgrade, "websocket")) {
      SendLocalReply(403, "upgrade not allowed", /*close=*/true);
      return;
    }
    upgrade_requested_ = true;
  }

  // The upstream request: rewritten target and host, forwarding headers, framing.
  const std::string path = route.RewritePath(view);
  const std::string host(route.RewriteHost(view));
  std::string upgrade_value;
  if (upgrade_requested_) upgrade_value = std::string(*head.headers.Get("upgrade"));
  StripHopByHop(head.headers);
  head.headers.Remove("expect");
  head.headers.Set("host", host);
  if (peer_ip_.empty()) peer_ip_ = downstream_->peer().Ip();  // once per connection
  const std::string& peer_ip = peer_ip_;
  if (hcm_->use_remote_address) {
    if (!hcm_->skip_xff_append) {
      if (auto xff = head.headers.Get("x-forwarded-for")) {
        head.headers.Set("x-forwarded-for", absl::StrCat(*xff, ", ", peer_ip));
      } else {
        head.headers.Add("x-forwarded-for", peer_ip);
      }
    }
    head.headers.Set("x-forwarded-proto", view.scheme);
  } else if (!head.headers.Has("x-forwarded-proto")) {
    head.headers.Add("x-forwarded-proto", view.scheme);
  }
  if (hcm_->generate_request_id) {
    const bool keep = head.headers.Has("x-request-id") &&
                      (hcm_->preserve_external_request_id || !hcm_->use_remote_address);
    if (!keep) head.headers.Set("x-request-id", NewRequestId(worker_.random()));
  }
  route.ApplyRequestHeaderMutations(headers);
  switch (head.framing) {
    case BodyFraming::kContentLength:
      head.headers.Set("content-length", absl::StrCat(head.content_length));
      break;
    case BodyFraming::kChunked:
      head.headers.Set("transfer-encoding", "chunked");
      break;
    default:
      break;
  }
  if (upgrade_requested_) {
    head.headers.Set("connection", "upgrade");
    head.headers.Set("upgrade", upgrade_value);
  }
  std::string encoded;
  EncodeRequestHead(head.method, path, 1, head.headers, encoded);

  if (head.expect_100_continue && head.framing != BodyFraming::kNone) {
    // Tell the client to send the body; the upstream never sees Expect.
    downstream_->Write("HTTP/1.1 100 Continue\r\n\r\n");
  }
  upstream_ = std::make_unique<Upstream>(*this, std::move(config), route, std::string(cluster));
  upstream_->Start(std::move(encoded), head.method, head.framing);
}

void ServerSession::OnBodyData(absl::string_view data) {
  if (upstream_ != nullptr && !local_reply_) upstream_->SendBody(data);
  // After a local reply the rest of the body is read and dropped.
}

void ServerSession::OnMessageComplete() {
  request_complete_ = true;
  if (upstream_ != nullptr && !local_reply_) upstream_->EndBody();
  // A local reply already written finishes in ParseRequests, outside the parser's callback.
}

void ServerSession::SendLocalReply(int status, absl::string_view body, bool close,
                                   absl::string_view location) {
  if (phase_ == Phase::kClosed) return;
  if (upstream_ != nullptr) {
    // Destroy it after this callback chain (we may be inside one of its callbacks).
    struct Holder : event::DeferredDeletable {
      std::unique_ptr<Upstream> upstream;
    };
    auto holder = std::make_unique<Holder>();
    holder->upstream = std::move(upstream_);
    holder->upstream->ReleaseBackpressure();
    worker_.dispatcher().DeferredDelete(std::move(holder));
  }
  local_reply_ = true;
  last_status_ = status;
  close = close || !request_keep_alive_ || draining_ || close_after_response_;
  HeaderMap headers;
  std::string text;
  if (!body.empty()) {
    text = absl::StrCat(body, "\n");
    headers.Add("content-type", "text/plain");
  }
  if (!location.empty()) headers.Add("location", location);
  headers.Add("content-length", absl::StrCat(text.size()));
  headers.Add("server", hcm_->server_name);
  if (close) {
    headers.Add("connection", "close");
  } else if (request_minor_version_ == 0) {
    headers.Add("connection", "keep-alive");
  }
  std::string& out = scratch_;
  out.clear();
  EncodeResponseHead(status, "", 1, headers, out);
  if (request_method_ != "HEAD") out += text;
  downstream_->Write(out);
  response_complete_ = true;
  if (close) {
    LogRequest(status);
    CountStatus(status);
    Close(/*flush=*/true);
    return;
  }
  if (request_complete_) OnResponseComplete(false);
  // else: the remaining body is read and dropped; OnMessageComplete finishes the exchange.
}

void ServerSession::OnResponseComplete(bool close) {
  if (!local_reply_ || upstream_ != nullptr) {
    // Proxied response: destroy the upstream part after this callback chain.
    if (upstream_ != nullptr) {
      struct Holder : event::DeferredDeletable {
        std::unique_ptr<Upstream> upstream;
      };
      auto holder = std::make_unique<Holder>();
      holder->upstream = std::move(upstream_);
      holder->upstream->ReleaseBackpressure();
      worker_.dispatcher().DeferredDelete(std::move(holder));
    }
  }
  response_complete_ = true;
  LogRequest(last_status_);
  CountStatus(last_status_);
  if (!request_complete_) {
    // The upstream answered before the request body ended: the connection cannot be reused.
    Close(/*flush=*/true);
    return;
  }
  if (close || close_after_response_ || draining_ || !request_keep_alive_) {
    Close(/*flush=*/true);
    return;
  }
  // Ready for the next request, which may already be buffered (the parser stopped at the end
  // of this one, so a new parser takes over exactly there).
  phase_ = Phase::kIdle;
  if (in_feed_) {
    parser_->Resume();  // given back once Feed returns
  } else {
    worker_.parser_pool().Give(std::move(parser_));
  }
  ArmIdleTimer();
  if (read_disabled_for_response_) {
    read_disabled_for_response_ = false;
    downstream_->ReadDisable(false);  // redelivers buffered pipelined bytes
  }
  downstream_->ReleaseIdleMemory();
}

void ServerSession::ArmTunnelIdleTimer() {
  if (hcm_->stream_idle_timeout != absl::InfiniteDuration()) {
    timer_->Enable(hcm_->stream_idle_timeout);  // O(1) when pushed later
  }
}

void ServerSession::StartTunnel() {
  phase_ = Phase::kTunnel;
  worker_.stats().websocket_upgrades.Inc();
  timer_->Disable();
  ArmTunnelIdleTimer();
  parser_->Resume();  // not used any more; frees nothing but keeps state coherent
  if (read_disabled_for_response_) {
    read_disabled_for_response_ = false;
    downstream_->ReadDisable(false);
  }
}

void ServerSession::Close(bool flush) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  timer_->Disable();
  downstream_->Close(flush ? net::Connection::CloseType::kFlushWrite
                           : net::Connection::CloseType::kNoFlush);
  // OnEvent(kLocalClose) follows (now, or after the flush).
}

void ServerSession::OnEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) return;
  phase_ = Phase::kClosed;
  timer_->Disable();
  if (upstream_ != nullptr) {
    struct Holder : event::DeferredDeletable {
      std::unique_ptr<Upstream> upstream;
    };
    auto holder = std::make_unique<Holder>();
    holder->upstream = std::move(upstream_);
    worker_.dispatcher().DeferredDelete(std::move(holder));
  }
  worker_.OnSessionClosed(this);
}

void ServerSession::OnAboveWriteHighWatermark() {
  if (upstream_ != nullptr) upstream_->SetReadDisabled(true);
}

void ServerSession::OnBelowWriteLowWatermark() {
  if (upstream_ != nullptr) upstream_->SetReadDisabled(false);
}

void ServerSession::CountStatus(int status) {
  HttpStats& stats = worker_.stats();
  if (status >= 500) {
    stats.downstream_rq_5xx.Inc();
  } else if (status >= 400) {
    stats.downstream_rq_4xx.Inc();
  } else if (status >= 300) {
    stats.downstream_rq_3xx.Inc();
  } else if (status >= 200) {
    stats.downstream_rq_2xx.Inc();
  }
}

void ServerSession::LogRequest(int status) {
  if (hcm_ == nullptr || !hcm_->access_log) return;
  const auto elapsed = worker_.dispatcher().UpdateNow() - request_start_;
  std::string line = "{\"method\":";
  AppendJsonString(line, request_method_);
  line += ",\"authority\":";
  AppendJsonString(line, log_authority_);
  line += ",\"path\":";
  AppendJsonString(line, log_path_);
  line += ",\"client\":";
  if (peer_ip_.empty()) peer_ip_ = downstream_->peer().Ip();
  AppendJsonString(line, peer_ip_);
  absl::StrAppend(&line, ",\"status\":", status, ",\"bytes_received\":", bytes_received_,
                  ",\"duration_ms\":",
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), "}");
  worker_.AccessLog(hcm_->access_log_path, std::move(line));
}

}  // namespace strata::http

#ifndef STRATA_DATAPLANE_TLS_TLS_SOCKET_H_
#define STRATA_DATAPLANE_TLS_TLS_SOCKET_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/net/buffer.h"
#include "dataplane/net/transport_socket.h"
#include "dataplane/tls/tls_context.h"

namespace strata::tls {

// TLS as a transport socket: a pure transform between the connection's plaintext buffers and
// the fd. The handshake is driven by whichever of OnConnected/DoRead/DoWrite runs first; a
// handshake step that has to send (the server's flight after a ClientHello arrives, a client's
// Finished) sends from inside DoRead as well, so a caller that only reads still completes it.
//
// I/O goes through a custom BIO rather than SSL_set_fd:
//  - reads recv() straight from the fd into the library (no extra copy), and an EOF is told
//    apart from an error, so a peer that closes without close_notify is detected;
//  - writes append the ciphertext to a small queue that is sent with send(MSG_NOSIGNAL) (no
//    SIGPIPE) after each library call. The library thus never sees a blocked write: there is
//    no SSL_ERROR_WANT_WRITE state to resume, a handshake started from DoRead cannot stall
//    half-written inside the library, and DoWrite keeps backpressure by encrypting only while
//    the queue is empty (at most one record waits beyond the kernel's buffer).
//
// Errors are static strings (IoResult::error), compared by pointer or text.
class TlsTransportSocket final : public net::TransportSocket {
 public:
  // The socket keeps a reference to the context for its whole life.
  static std::unique_ptr<TlsTransportSocket> CreateServer(
      std::shared_ptr<const ServerTlsContext> context);
  // `server_name`, when not empty, replaces the context's name for this connection (SNI and
  // certificate verification).
  static std::unique_ptr<TlsTransportSocket> CreateClient(
      std::shared_ptr<const ClientTlsContext> context, std::string server_name = "");
  ~TlsTransportSocket() override;

  net::IoResult DoRead(int fd, net::Buffer& out, size_t max_bytes) override;
  net::IoResult DoWrite(int fd, net::Buffer& in) override;
  void OnConnected(int fd) override;
  bool Ready() const override { return handshake_done_; }
  absl::string_view Alpn() const override { return alpn_; }
  // Server: the SNI the client sent. Client: the name sent.
  absl::string_view ServerName() const override { return server_name_; }
  bool Secure() const override { return true; }
  void ReleaseIdleMemory() override;

  // Sends close_notify (once). Call when everything written so far has left the connection's
  // write buffer, as the alert must follow the data; then close the connection.
  net::IoResult Shutdown(int fd);
  // A local close sends close_notify (best effort: the socket is about to be closed).
  void OnClose(int fd) override { Shutdown(fd); }
  // Whether the peer ended the stream with close_notify.
  bool PeerClosedCleanly() const { return received_close_notify_; }
  // "TLSv1.2", "TLSv1.3"; empty before the handshake.
  absl::string_view Version() const;
  // The peer certificate's subject ("/CN=a.example"), empty when it sent none.
  std::string PeerCertificateSubject() const;
  bool SessionReused() const;

 private:
  enum class Mode { kServer, kClient };
  TlsTransportSocket(Mode mode, SSL* ssl);

  // Runs the handshake as far as it can go. Returns a close result on failure.
  net::IoResult ContinueHandshake();
  void OnHandshakeDone();
  // Server: collects the first bytes until the ClientHello's SNI is known.
  void ObserveClientHello(absl::string_view bytes);
  // Sends the queued ciphertext. False on a socket error (io_error_ is set).
  bool Flush();
  net::IoResult Fail(const char* reason);
  const char* HandshakeFailure(int ssl_error) const;

  static BIO_METHOD* BioMethod();
  static int BioRead(BIO* bio, char* out, int length);
  static int BioWrite(BIO* bio, const char* in, int length);
  // OpenSSL's BIO ctrl callback signature.
  static long BioCtrl(BIO* bio, int command, long value,  // NOLINT(google-runtime-int)
                      void* pointer);
  static void OnInfo(const SSL* ssl, int where, int value);

  const Mode mode_;
  SSL* ssl_;  // null when creation failed
  std::shared_ptr<const ServerTlsContext> server_context_;
  std::shared_ptr<const ClientTlsContext> client_context_;
  tls_internal::HandshakeState handshake_state_;
  int fd_ = -1;
  net::Buffer out_;          // ciphertext not yet taken by the kernel
  std::string hello_bytes_;  // server: the ClientHello so far (freed once parsed)
  bool hello_observed_;      // the ClientHello has been looked at (always, for a client)
  std::string alpn_;
  std::string server_name_;
  const char* failure_ = nullptr;  // sticky: every later call reports it
  bool handshake_done_ = false;
  bool peer_eof_ = false;  // recv() returned 0
  int io_error_ = 0;       // errno of a failed recv()/send()
  bool received_close_notify_ = false;
  bool sent_close_notify_ = false;
};

}  // namespace strata::tls

#endif  // STRATA_DATAPLANE_TLS_TLS_SOCKET_H_

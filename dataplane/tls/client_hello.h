#ifndef STRATA_DATAPLANE_TLS_CLIENT_HELLO_H_
#define STRATA_DATAPLANE_TLS_CLIENT_HELLO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace strata::tls {

enum class ClientHelloParse {
  kNeedMore,  // the ClientHello is not complete yet
  kDone,      // parsed; the server name is set (empty when the client sent none)
  kInvalid,   // not a well-formed ClientHello (the TLS library will say why)
};

// Finds the SNI host name in the first bytes a TLS client sent: one ClientHello in one or more
// handshake records. Only reads; every length is checked against the data.
//
// Why: OpenSSL decrypts a session ticket before it parses the SNI extension, so the ticket
// callback learns the requested name from here in time to refuse a ticket issued for
// another certificate (RFC 6066 section 3: a different name means a full handshake).
ClientHelloParse ParseClientHelloServerName(absl::string_view data, std::string* server_name);

}  // namespace strata::tls

#endif  // STRATA_DATAPLANE_TLS_CLIENT_HELLO_H_

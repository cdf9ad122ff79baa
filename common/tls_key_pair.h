#ifndef STRATA_COMMON_TLS_KEY_PAIR_H_
#define STRATA_COMMON_TLS_KEY_PAIR_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

struct X509Deleter {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A certificate chain and its private key, read from PEM and checked: what the proxy serves
// and what the control plane accepts from a TLS Secret are the same thing.
struct TlsKeyPair {
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;
  PkeyPtr key;
  std::string subject;  // of the leaf, one line ("/CN=a.example")
};

// Reads `cert_chain_pem` (the leaf first, then any intermediates) and `private_key_pem` (an
// unencrypted RSA key of at least 2048 bits, or an ECDSA key) and checks that the key is the
// leaf's. Errors start with `label`, followed by the leaf's subject once it is known:
// "certificate 0 (/CN=a.example): the private key does not match the certificate".
absl::StatusOr<TlsKeyPair> ReadTlsKeyPair(absl::string_view cert_chain_pem,
                                          absl::string_view private_key_pem,
                                          absl::string_view label);

// Every certificate of `pem` (at least one), in order. Errors name what went wrong, not `pem`.
absl::StatusOr<std::vector<X509Ptr>> ReadPemCertificates(absl::string_view pem);

// The names a certificate serves: its subjectAltName DNS entries, or the subject CN when it
// has none.
std::vector<std::string> CertificateNames(X509* x509);

// OpenSSL's queued errors as one line (and the queue emptied); "no detail" when there are none.
std::string DrainSslErrors();

}  // namespace strata

#endif  // STRATA_COMMON_TLS_KEY_PAIR_H_

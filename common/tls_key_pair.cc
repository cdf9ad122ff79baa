#include "common/tls_key_pair.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// Never prompt for a passphrase (the library's default would read the terminal).
int NoPassphrase(char*, int, int, void*) { return 0; }

BioPtr MemoryBio(absl::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// True when the last queued error is the PEM reader reaching the end of its input.
bool AtEndOfPem() {
  const auto error = ERR_peek_last_error();
  return ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
}

std::string Subject(X509* x509) {
  char buffer[256];
  X509_NAME_oneline(X509_get_subject_name(x509), buffer, sizeof(buffer));
  return buffer;
}

}  // namespace

std::string DrainSslErrors() {
  std::string out;
  while (const auto error = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(error, buffer, sizeof(buffer));
    if (!out.empty()) out.append("; ");
    out.append(buffer);
  }
  return out.empty() ? "no detail" : out;
}

absl::StatusOr<TlsKeyPair> ReadTlsKeyPair(absl::string_view cert_chain_pem,
                                          absl::string_view private_key_pem,
                                          absl::string_view label) {
  ERR_clear_error();
  TlsKeyPair pair;
  BioPtr chain_bio = MemoryBio(cert_chain_pem);
  pair.leaf.reset(PEM_read_bio_X509(chain_bio.get(), nullptr, &NoPassphrase, nullptr));
  if (pair.leaf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": cannot parse the certificate PEM: ", DrainSslErrors()));
  }
  pair.subject = Subject(pair.leaf.get());
  const std::string named = absl::StrCat(label, " (", pair.subject, ")");
  while (X509* next = PEM_read_bio_X509(chain_bio.get(), nullptr, &NoPassphrase, nullptr)) {
    pair.intermediates.emplace_back(next);
  }
  if (!AtEndOfPem()) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": cannot parse the certificate chain PEM: ", DrainSslErrors()));
  }
  ERR_clear_error();

  BioPtr key_bio = MemoryBio(private_key_pem);
  pair.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &NoPassphrase, nullptr));
  if (pair.key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": cannot parse the private key PEM: ", DrainSslErrors()));
  }
  const int key_type = EVP_PKEY_id(pair.key.get());
  if (key_type != EVP_PKEY_RSA && key_type != EVP_PKEY_EC) {
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": unsupported private key type (RSA or ECDSA only)"));
  }
  if (key_type == EVP_PKEY_RSA && EVP_PKEY_bits(pair.key.get()) < 2048) {
    return absl::InvalidArgumentError(absl::StrCat(
        named, ": RSA key of ", EVP_PKEY_bits(pair.key.get()), " bits (minimum 2048)"));
  }
  if (X509_check_private_key(pair.leaf.get(), pair.key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(named, ": the private key does not match the certificate"));
  }
  return pair;
}

absl::StatusOr<std::vector<X509Ptr>> ReadPemCertificates(absl::string_view pem) {
  ERR_clear_error();
  BioPtr bio = MemoryBio(pem);
  std::vector<X509Ptr> out;
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, &NoPassphrase, nullptr)) {
    out.emplace_back(next);
  }
  if (out.empty() || !AtEndOfPem()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse the certificate PEM: ", DrainSslErrors()));
  }
  ERR_clear_error();
  return out;
}

std::vector<std::string> CertificateNames(X509* x509) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x509, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (size_t i = 0; i < static_cast<size_t>(sk_GENERAL_NAME_num(sans)); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type != GEN_DNS) continue;
      const ASN1_STRING* dns = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         static_cast<size_t>(ASN1_STRING_length(dns)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (!names.empty()) return names;
  X509_NAME* subject = X509_get_subject_name(x509);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return names;
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length >= 0) names.emplace_back(reinterpret_cast<const char*>(utf8), length);
  OPENSSL_free(utf8);
  return names;
}

}  // namespace strata

#ifndef STRATA_DATAPLANE_NET_ADDRESS_H_
#define STRATA_DATAPLANE_NET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::net {

// An IPv4 or IPv6 socket address (numeric only: no name resolution on the data path).
class Address {
 public:
  Address() = default;
  // `ip` is a numeric IPv4 or IPv6 address (without brackets).
  static absl::StatusOr<Address> FromIpPort(absl::string_view ip, uint32_t port);
  // "1.2.3.4:80" or "[::1]:80".
  static absl::StatusOr<Address> Parse(absl::string_view host_port);
  static Address FromSockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* sockaddr_ptr() const { return &storage_.sa; }
  socklen_t length() const { return length_; }
  int family() const { return length_ == 0 ? AF_UNSPEC : storage_.sa.sa_family; }
  bool valid() const { return length_ != 0; }
  uint16_t port() const;
  // The address without the port ("1.2.3.4", "::1").
  std::string Ip() const;
  // "1.2.3.4:80", "[::1]:80".
  std::string ToString() const;
  bool operator==(const Address& other) const;

 private:
  // IPv4 or IPv6 only: 28 bytes instead of sockaddr_storage's 128 (kept per connection).
  union Storage {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } storage_{};
  socklen_t length_ = 0;
};

// A CIDR range ("10.0.0.0/8", "::1/128") for trusted-source checks.
class CidrRange {
 public:
  static absl::StatusOr<CidrRange> Parse(absl::string_view cidr);
  static absl::StatusOr<CidrRange> FromPrefix(absl::string_view ip, uint32_t prefix_len);
  bool Contains(const Address& address) const;
  std::string ToString() const;

 private:
  int family_ = AF_UNSPEC;
  uint8_t bytes_[16] = {};
  uint32_t prefix_len_ = 0;
};

}  // namespace strata::net

#endif  // STRATA_DATAPLANE_NET_ADDRESS_H_

#include "dataplane/net/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strata::net {

absl::StatusOr<Address> Address::FromIpPort(absl::string_view ip, uint32_t port) {
  if (port > 65535) return absl::InvalidArgumentError(absl::StrCat("port ", port, " > 65535"));
  Address address;
  const std::string ip_str(ip);
  sockaddr_in* v4 = &address.storage_.v4;
  sockaddr_in6* v6 = &address.storage_.v6;
  if (inet_pton(AF_INET, ip_str.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in);
    return address;
  }
  address.storage_ = {};
  if (inet_pton(AF_INET6, ip_str.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    address.length_ = sizeof(sockaddr_in6);
    return address;
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not a numeric IP address"));
}

absl::StatusOr<Address> Address::Parse(absl::string_view host_port) {
  absl::string_view host;
  absl::string_view port;
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos || close + 1 >= host_port.size() ||
        host_port[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad address \"", host_port, "\""));
    }
    host = host_port.substr(1, close - 1);
    port = host_port.substr(close + 2);
  } else {
    const size_t colon = host_port.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", host_port, "\" has no port (want ip:port)"));
    }
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
  }
  uint32_t port_number;
  if (!absl::SimpleAtoi(port, &port_number)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in \"", host_port, "\""));
  }
  return FromIpPort(host, port_number);
}

Address Address::FromSockaddr(const sockaddr* sa, socklen_t len) {
  Address address;
  if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || len > sizeof(address.storage_)) {
    return address;  // not an IP address: invalid
  }
  std::memcpy(&address.storage_, sa, len);
  address.length_ = len;
  return address;
}

uint16_t Address::port() const {
  if (family() == AF_INET) return ntohs(storage_.v4.sin_port);
  if (family() == AF_INET6) return ntohs(storage_.v6.sin6_port);
  return 0;
}

std::string Address::Ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &storage_.v4.sin_addr, text, sizeof(text));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &storage_.v6.sin6_addr, text, sizeof(text));
  }
  return text;
}

std::string Address::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", Ip(), "]:", port());
  return absl::StrCat(Ip(), ":", port());
}

bool Address::operator==(const Address& other) const {
  return length_ == other.length_ && std::memcmp(&storage_, &other.storage_, length_) == 0;
}

absl::StatusOr<CidrRange> CidrRange::FromPrefix(absl::string_view ip, uint32_t prefix_len) {
  CidrRange range;
  const std::string ip_str(ip);
  if (inet_pton(AF_INET, ip_str.c_str(), range.bytes_) == 1) {
    range.family_ = AF_INET;
    if (prefix_len > 32)
      return absl::InvalidArgumentError(absl::StrCat("prefix /", prefix_len, " > 32"));
  } else if (inet_pton(AF_INET6, ip_str.c_str(), range.bytes_) == 1) {
    range.family_ = AF_INET6;
    if (prefix_len > 128) {
      return absl::InvalidArgumentError(absl::StrCat("prefix /", prefix_len, " > 128"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat("\"", ip, "\" is not a numeric IP address"));
  }
  range.prefix_len_ = prefix_len;
  return range;
}

absl::StatusOr<CidrRange> CidrRange::Parse(absl::string_view cidr) {
  const size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) {
    const bool v6 = cidr.find(':') != absl::string_view::npos;
    return FromPrefix(cidr, v6 ? 128 : 32);
  }
  uint32_t len;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &len)) {
    return absl::InvalidArgumentError(absl::StrCat("bad prefix length in \"", cidr, "\""));
  }
  return FromPrefix(cidr.substr(0, slash), len);
}

bool CidrRange::Contains(const Address& address) const {
  const uint8_t* bytes = nullptr;
  uint8_t mapped[4];
  if (address.family() == AF_INET && family_ == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr())->sin_addr);
  } else if (address.family() == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr())->sin6_addr;
    if (family_ == AF_INET6) {
      bytes = a6->s6_addr;
    } else if (IN6_IS_ADDR_V4MAPPED(a6)) {  // ::ffff:a.b.c.d on a dual-stack socket
      std::memcpy(mapped, a6->s6_addr + 12, 4);
      bytes = mapped;
    }
  }
  if (bytes == nullptr) return false;
  uint32_t bits = prefix_len_;
  for (size_t i = 0; bits > 0; ++i) {
    const uint32_t take = bits >= 8 ? 8 : bits;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - take));
    if ((bytes[i] & mask) != (bytes_[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string CidrRange::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_, bytes_, text, sizeof(text));
  return absl::StrCat(text, "/", prefix_len_);
}

}  // namespace strata::net

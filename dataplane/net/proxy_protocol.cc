#include "dataplane/net/proxy_protocol.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace strata::net {
namespace {

using Result = ProxyProtocolParser::Result;
using Status = ProxyProtocolParser::Status;

constexpr absl::string_view kV1Prefix = "PROXY ";
constexpr char kV2SignatureBytes[] = "\r\n\r\n\0\r\nQUIT\n";
constexpr absl::string_view kV2Signature(kV2SignatureBytes, 12);
constexpr size_t kV2PreambleBytes = 16;
// Address block sizes: two addresses and two ports (INET, INET6), or two 108-byte paths (UNIX).
constexpr size_t kV2Inet = 12;
constexpr size_t kV2Inet6 = 36;
constexpr size_t kV2Unix = 216;

Result NeedMore() { return Result{}; }

Result Error(std::string error) {
  Result result;
  result.status = Status::kError;
  result.error = std::move(error);
  return result;
}

Result Done(size_t consumed, ProxyHeader header) {
  Result result;
  result.status = Status::kDone;
  result.consumed = consumed;
  result.header = header;
  return result;
}

// Whether `data` is a prefix of `full` or starts with all of it.
bool MatchesPrefix(absl::string_view data, absl::string_view full) {
  const size_t n = data.size() < full.size() ? data.size() : full.size();
  return data.substr(0, n) == full.substr(0, n);
}

// A decimal port: 1 to 5 digits, no leading zero (except "0" itself), at most 65535.
bool ParsePort(absl::string_view text, uint32_t* port) {
  if (text.empty() || text.size() > 5) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = value;
  return true;
}

Result ParseV1(absl::string_view data) {
  // The CR must be at offset 105 at the latest, so that the line with CRLF fits 107 bytes.
  constexpr size_t kMaxCr = kProxyProtocolV1MaxBytes - 2;
  size_t cr = absl::string_view::npos;
  for (size_t i = 0; i < data.size() && i <= kMaxCr; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c == '\r') {
      cr = i;
      break;
    }
    if (c == '\n') return Error("PROXY v1: LF without CR");
    if (c < 0x20 || c > 0x7e) {
      return Error(absl::StrFormat("PROXY v1: invalid byte 0x%02x at offset %d", c, i));
    }
  }
  if (cr == absl::string_view::npos) {
    if (data.size() > kMaxCr) {
      return Error(absl::StrCat("PROXY v1: no CRLF within ", kProxyProtocolV1MaxBytes, " bytes"));
    }
    return NeedMore();
  }
  if (cr + 1 == data.size()) return NeedMore();
  if (data[cr + 1] != '\n') return Error("PROXY v1: CR not followed by LF");
  const absl::string_view line = data.substr(0, cr);
  const size_t consumed = cr + 2;

  const absl::string_view rest = line.substr(kV1Prefix.size());
  const absl::string_view protocol = rest.substr(0, rest.find(' '));
  ProxyHeader header;
  header.version = 1;
  header.command = ProxyCommand::kProxy;
  if (protocol == "UNKNOWN") {
    // Whatever follows UNKNOWN is to be ignored; the real endpoints apply.
    return Done(consumed, header);
  }
  int family;
  if (protocol == "TCP4") {
    family = AF_INET;
    header.family = ProxyFamily::kInet;
  } else if (protocol == "TCP6") {
    family = AF_INET6;
    header.family = ProxyFamily::kInet6;
  } else {
    return Error(
        absl::StrCat("PROXY v1: unknown protocol \"", protocol, "\" (want TCP4, TCP6 or UNKNOWN)"));
  }
  const std::vector<absl::string_view> fields = absl::StrSplit(rest, ' ');
  for (absl::string_view field : fields) {
    if (field.empty()) return Error("PROXY v1: empty field (stray space)");
  }
  if (fields.size() != 5) {
    return Error(
        absl::StrCat("PROXY v1: ", protocol, " needs 4 fields after it, got ", fields.size() - 1));
  }
  const char* const family_name = family == AF_INET ? "IPv4" : "IPv6";
  uint32_t ports[2];
  const char* const which[2] = {"source", "destination"};
  for (int i = 0; i < 2; ++i) {
    if (!ParsePort(fields[3 + i], &ports[i])) {
      return Error(absl::StrCat("PROXY v1: bad ", which[i], " port \"", fields[3 + i], "\""));
    }
  }
  Address* const out[2] = {&header.source, &header.destination};
  for (int i = 0; i < 2; ++i) {
    auto address = Address::FromIpPort(fields[1 + i], ports[i]);
    if (!address.ok() || address->family() != family) {
      return Error(absl::StrCat("PROXY v1: bad ", family_name, " ", which[i], " address \"",
                                fields[1 + i], "\""));
    }
    *out[i] = *address;
  }
  return Done(consumed, header);
}

uint16_t ReadU16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

Address V4Address(const unsigned char* ip, const unsigned char* port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  std::memcpy(&sa.sin_addr, ip, 4);
  std::memcpy(&sa.sin_port, port, 2);  // both in network order
  return Address::FromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
}

Address V6Address(const unsigned char* ip, const unsigned char* port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  std::memcpy(&sa.sin6_addr, ip, 16);
  std::memcpy(&sa.sin6_port, port, 2);
  return Address::FromSockaddr(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
}

Result ParseV2(absl::string_view data) {
  if (data.size() < kV2PreambleBytes) return NeedMore();
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned version = bytes[12] >> 4;
  const unsigned command = bytes[12] & 0x0f;
  if (version != 2) {
    return Error(absl::StrFormat("PROXY v2: unsupported version %d (want 2)", version));
  }
  if (command > 1) return Error(absl::StrFormat("PROXY v2: unknown command 0x%x", command));
  const size_t length = ReadU16(bytes + 14);
  const size_t total = kV2PreambleBytes + length;
  if (total > kProxyProtocolV2MaxBytes) {
    return Error(absl::StrCat("PROXY v2: header of ", total, " bytes exceeds the ",
                              kProxyProtocolV2MaxBytes, "-byte limit"));
  }
  ProxyHeader header;
  header.version = 2;
  if (command == 0) {
    // LOCAL: the whole block, family byte included, is to be ignored.
    header.command = ProxyCommand::kLocal;
    if (data.size() < total) return NeedMore();
    return Done(total, header);
  }
  header.command = ProxyCommand::kProxy;
  const unsigned family_transport = bytes[13];
  const unsigned family = family_transport >> 4;
  const unsigned transport = family_transport & 0x0f;
  size_t address_bytes = 0;
  const char* family_name = "";
  if (family_transport == 0x00) {
    header.family = ProxyFamily::kUnspec;
  } else if (family >= 1 && family <= 3 && transport == 2) {
    return Error("PROXY v2: datagram transport not supported");
  } else if (family_transport == 0x11) {
    header.family = ProxyFamily::kInet;
    address_bytes = kV2Inet;
    family_name = "IPv4";
  } else if (family_transport == 0x21) {
    header.family = ProxyFamily::kInet6;
    address_bytes = kV2Inet6;
    family_name = "IPv6";
  } else if (family_transport == 0x31) {
    header.family = ProxyFamily::kUnix;
    address_bytes = kV2Unix;
    family_name = "UNIX";
  } else {
    return Error(
        absl::StrFormat("PROXY v2: unknown address family/transport 0x%02x", family_transport));
  }
  if (length < address_bytes) {
    return Error(absl::StrCat("PROXY v2: address block of ", length, " bytes too short for ",
                              family_name, " (needs ", address_bytes, ")"));
  }
  if (data.size() < total) return NeedMore();
  if (header.family == ProxyFamily::kUnspec) {
    // No addresses; the block (if any) is to be ignored, as for LOCAL.
    return Done(total, header);
  }
  const unsigned char* a = bytes + kV2PreambleBytes;
  if (header.family == ProxyFamily::kInet) {
    header.source = V4Address(a, a + 8);
    header.destination = V4Address(a + 4, a + 10);
  } else if (header.family == ProxyFamily::kInet6) {
    header.source = V6Address(a, a + 32);
    header.destination = V6Address(a + 16, a + 34);
  }
  // TLVs: type (1 byte), length (2 bytes), value; they must tile the rest exactly.
  size_t pos = kV2PreambleBytes + address_bytes;
  while (pos < total) {
    if (total - pos < 3) {
      return Error(absl::StrCat("PROXY v2: truncated TLV at offset ", pos));
    }
    const size_t value_length = ReadU16(bytes + pos + 1);
    if (value_length > total - pos - 3) {
      return Error(absl::StrFormat("PROXY v2: TLV type 0x%02x of %d bytes overruns the header",
                                   bytes[pos], value_length));
    }
    pos += 3 + value_length;
  }
  return Done(total, header);
}

void AppendU16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xff));
}

bool SameIpFamily(const Address& a, const Address& b) {
  return a.valid() && b.valid() && a.family() == b.family() &&
         (a.family() == AF_INET || a.family() == AF_INET6);
}

}  // namespace

ProxyProtocolParser::Result ProxyProtocolParser::Parse(absl::string_view data) const {
  if (data.empty()) return NeedMore();
  if (MatchesPrefix(data, kV2Signature)) {
    return data.size() < kV2Signature.size() ? NeedMore() : ParseV2(data);
  }
  if (MatchesPrefix(data, kV1Prefix)) {
    return data.size() < kV1Prefix.size() ? NeedMore() : ParseV1(data);
  }
  return Error("PROXY protocol: bad signature (neither \"PROXY \" nor the v2 signature)");
}

std::string EncodeProxyProtocolV1(const Address& source, const Address& destination) {
  if (!SameIpFamily(source, destination)) return "PROXY UNKNOWN\r\n";
  return absl::StrCat("PROXY ", source.family() == AF_INET ? "TCP4 " : "TCP6 ", source.Ip(), " ",
                      destination.Ip(), " ", source.port(), " ", destination.port(), "\r\n");
}

std::string EncodeProxyProtocolV2(const Address& source, const Address& destination) {
  std::string out(kV2Signature);
  out.push_back(static_cast<char>(0x21));  // version 2, PROXY
  if (!SameIpFamily(source, destination)) {
    out.push_back(static_cast<char>(0x00));  // AF_UNSPEC
    AppendU16(out, 0);
    return out;
  }
  const auto append_ip = [&out](const Address& address) {
    if (address.family() == AF_INET) {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr());
      out.append(reinterpret_cast<const char*>(&sa->sin_addr), 4);
    } else {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr());
      out.append(reinterpret_cast<const char*>(&sa->sin6_addr), 16);
    }
  };
  const bool v4 = source.family() == AF_INET;
  out.push_back(static_cast<char>(v4 ? 0x11 : 0x21));  // TCP over IPv4 / IPv6
  AppendU16(out, static_cast<uint16_t>(v4 ? kV2Inet : kV2Inet6));
  append_ip(source);
  append_ip(destination);
  AppendU16(out, source.port());
  AppendU16(out, destination.port());
  return out;
}

std::string EncodeProxyProtocolV2Local() {
  std::string out(kV2Signature);
  out.push_back(static_cast<char>(0x20));  // version 2, LOCAL
  out.push_back(static_cast<char>(0x00));  // AF_UNSPEC
  AppendU16(out, 0);
  return out;
}

bool Trusted(const Address& peer, const std::vector<CidrRange>& trusted) {
  if (!peer.valid()) return false;
  for (const CidrRange& range : trusted) {
    if (range.Contains(peer)) return true;
  }
  return false;
}

void ProxyProtocolTransportSocket::OnConnected(int fd) {
  connected_ = true;
  SendHeader(fd);
}

IoResult ProxyProtocolTransportSocket::SendHeader(int fd) {
  IoResult result;
  if (error_ == nullptr && connected_) {
    while (sent_ < header_.size()) {
      const ssize_t n = send(fd, header_.data() + sent_, header_.size() - sent_, MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return result;
      error_ = "write error (PROXY protocol header)";
      break;
    }
    if (error_ == nullptr && !header_done_) {
      header_done_ = true;
      std::string().swap(header_);
      inner_->OnConnected(fd);
    }
  }
  if (error_ != nullptr) {
    result.action = IoResult::Action::kClose;
    result.error = error_;
  }
  return result;
}

IoResult ProxyProtocolTransportSocket::DoWrite(int fd, Buffer& in) {
  if (!header_done_ || error_ != nullptr) {
    IoResult result = SendHeader(fd);
    if (result.action == IoResult::Action::kClose || !header_done_) return result;
  }
  return inner_->DoWrite(fd, in);
}

IoResult ProxyProtocolTransportSocket::DoRead(int fd, Buffer& out, size_t max_bytes) {
  if (error_ != nullptr) return SendHeader(fd);
  if (!header_done_) return IoResult{};  // the inner transport has not started yet
  return inner_->DoRead(fd, out, max_bytes);
}

}  // namespace strata::net

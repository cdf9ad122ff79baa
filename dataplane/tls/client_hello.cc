#include "dataplane/tls/client_hello.h"

#include <cstddef>
#include <cstdint>

namespace strata::tls {

namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostName = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecord = 16384 + 2048;  // TLSCiphertext limit
constexpr size_t kMaxClientHello = 64 * 1024;

// Reads big-endian fields; any read past the end fails and poisons the reader.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool empty() const { return data_.empty(); }
  uint32_t Number(size_t bytes) {
    if (!ok_ || data_.size() < bytes) return Fail();
    uint32_t value = 0;
    for (size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(bytes);
    return value;
  }
  absl::string_view Bytes(size_t n) {
    if (!ok_ || data_.size() < n) {
      Fail();
      return {};
    }
    absl::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  // A vector with a `length_bytes`-byte length prefix.
  absl::string_view Prefixed(size_t length_bytes) { return Bytes(Number(length_bytes)); }

 private:
  uint32_t Fail() {
    ok_ = false;
    data_ = {};
    return 0;
  }

  absl::string_view data_;
  bool ok_ = true;
};

ClientHelloParse ParseBody(absl::string_view body, std::string* server_name) {
  Reader hello(body);
  hello.Bytes(2 + 32);  // legacy_version, random
  hello.Prefixed(1);    // legacy_session_id
  hello.Prefixed(2);    // cipher_suites
  hello.Prefixed(1);    // legacy_compression_methods
  if (!hello.ok()) return ClientHelloParse::kInvalid;
  server_name->clear();
  if (hello.empty()) return ClientHelloParse::kDone;  // no extensions at all
  Reader extensions(hello.Prefixed(2));
  if (!hello.ok()) return ClientHelloParse::kInvalid;
  while (!extensions.empty()) {
    const uint32_t type = extensions.Number(2);
    Reader extension(extensions.Prefixed(2));
    if (!extensions.ok()) return ClientHelloParse::kInvalid;
    if (type != kServerNameExtension) continue;
    Reader names(extension.Prefixed(2));
    while (names.ok() && !names.empty()) {
      const uint32_t name_type = names.Number(1);
      const absl::string_view name = names.Prefixed(2);
      if (names.ok() && name_type == kHostName) {
        server_name->assign(name.data(), name.size());
        return ClientHelloParse::kDone;
      }
    }
    return names.ok() && extension.ok() ? ClientHelloParse::kDone : ClientHelloParse::kInvalid;
  }
  return ClientHelloParse::kDone;
}

}  // namespace

ClientHelloParse ParseClientHelloServerName(absl::string_view data, std::string* server_name) {
  std::string handshake;  // the payloads of the handshake records so far
  while (true) {
    if (data.size() < kRecordHeader) return ClientHelloParse::kNeedMore;
    Reader header(data.substr(0, kRecordHeader));
    const uint32_t type = header.Number(1);
    header.Number(2);  // legacy_record_version
    const size_t length = header.Number(2);
    if (type != kHandshakeRecord || length == 0 || length > kMaxRecord) {
      return ClientHelloParse::kInvalid;
    }
    if (data.size() - kRecordHeader < length) return ClientHelloParse::kNeedMore;
    handshake.append(data.data() + kRecordHeader, length);
    data.remove_prefix(kRecordHeader + length);
    if (handshake.size() < 4) continue;
    Reader message(handshake);
    const uint32_t message_type = message.Number(1);
    const size_t body_length = message.Number(3);
    if (message_type != kClientHello || body_length > kMaxClientHello) {
      return ClientHelloParse::kInvalid;
    }
    if (handshake.size() - 4 < body_length) continue;
    return ParseBody(absl::string_view(handshake).substr(4, body_length), server_name);
  }
}

}  // namespace strata::tls

// libFuzzer entry point for ProxyProtocolParser (dataplane/net/proxy_protocol.h). The input is
// the first bytes of a connection. Besides not crashing, it checks:
//  - the verdict is well formed: kDone consumes 1..4096 bytes of what it was given, kError has
//    a reason;
//  - the verdict only depends on the bytes it needs: every shorter prefix of an accepted header
//    needs more, the header alone parses the same, and a prefix cut at a data-derived point
//    agrees (need more, or the same error or header);
//  - addresses in an accepted header, written back by the v1 and v2 encoders, parse again to
//    the same addresses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "dataplane/net/proxy_protocol.h"

namespace strata::net {
namespace {

using Result = ProxyProtocolParser::Result;
using Status = ProxyProtocolParser::Status;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "proxy_protocol_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::string Describe(const Result& r) {
  return absl::StrCat(
      "status=", static_cast<int>(r.status), " consumed=", r.consumed,
      " version=", r.header.version, " command=", static_cast<int>(r.header.command),
      " family=", static_cast<int>(r.header.family), " src=", r.header.source.ToString(),
      " dst=", r.header.destination.ToString(), " error=", r.error);
}

bool Same(const Result& a, const Result& b) { return Describe(a) == Describe(b); }

void CheckRoundTrip(const ProxyHeader& header) {
  if (!header.HasAddresses()) return;
  const ProxyProtocolParser parser;
  for (const std::string& wire : {EncodeProxyProtocolV1(header.source, header.destination),
                                  EncodeProxyProtocolV2(header.source, header.destination)}) {
    const Result again = parser.Parse(wire);
    if (again.status != Status::kDone || again.consumed != wire.size() ||
        !(again.header.source == header.source) ||
        !(again.header.destination == header.destination)) {
      Fail("encoded header does not parse back", Describe(again));
    }
  }
}

void Check(absl::string_view input) {
  const ProxyProtocolParser parser;
  const Result whole = parser.Parse(input);
  switch (whole.status) {
    case Status::kNeedMore:
      if (input.size() >= kProxyProtocolV2MaxBytes) Fail("needs more past the limit", "");
      break;
    case Status::kError:
      if (whole.error.empty()) Fail("error without a reason", "");
      break;
    case Status::kDone: {
      if (whole.consumed == 0 || whole.consumed > input.size() ||
          whole.consumed > kProxyProtocolV2MaxBytes) {
        Fail("bad consumed count", Describe(whole));
      }
      if (whole.header.version == 1 && whole.consumed > kProxyProtocolV1MaxBytes) {
        Fail("v1 header too long", Describe(whole));
      }
      const Result shorter = parser.Parse(input.substr(0, whole.consumed - 1));
      if (shorter.status != Status::kNeedMore) {
        Fail("a proper prefix of a header did not need more", Describe(shorter));
      }
      const Result alone = parser.Parse(input.substr(0, whole.consumed));
      if (!Same(alone, whole)) Fail("the header alone parses differently", Describe(alone));
      CheckRoundTrip(whole.header);
      break;
    }
  }
  // A prefix at a data-derived point: either still incomplete, or already the final verdict.
  if (!input.empty()) {
    const size_t cut =
        (static_cast<unsigned char>(input.back()) * 131u + input.size()) % (input.size() + 1);
    const Result prefix = parser.Parse(input.substr(0, cut));
    if (prefix.status != Status::kNeedMore && !Same(prefix, whole)) {
      Fail("a prefix reached a different verdict",
           absl::StrCat("cut ", cut, ": ", Describe(prefix), " vs ", Describe(whole)));
    }
  }
}

}  // namespace
}  // namespace strata::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::net::Check(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef STRATA_DATAPLANE_HTTP_HTTP1_ENCODER_H_
#define STRATA_DATAPLANE_HTTP_HTTP1_ENCODER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/http1_parser.h"

namespace strata::http {

// Serialisation of HTTP/1.x heads and chunked framing. Every function appends to `out`, so a
// connection can build a whole write in one reused buffer. Nothing is validated: names,
// values, the target and the reason must already be valid field content (as the parser's
// output is); a CR or LF in them would corrupt the stream.

// "METHOD target HTTP/1.<minor>\r\n", the fields, "\r\n".
void EncodeRequestHead(absl::string_view method, absl::string_view target, int minor_version,
                       const HeaderMap& headers, std::string& out);
void EncodeRequestHead(const RequestHead& head, std::string& out);

// "HTTP/1.<minor> <code> <reason>\r\n", the fields, "\r\n". An empty `reason` is replaced by
// the standard phrase for the code, if there is one.
void EncodeResponseHead(int status_code, absl::string_view reason, int minor_version,
                        const HeaderMap& headers, std::string& out);
void EncodeResponseHead(const ResponseHead& head, std::string& out);

// The standard reason phrase for `status_code` ("" if unknown).
absl::string_view ReasonPhrase(int status_code);

// "<size in hex>\r\n": precedes `size` bytes of chunk data, which are followed by
// AppendChunkEnd. `size` must not be 0 (that is the last chunk).
void AppendChunkHeader(uint64_t size, std::string& out);
// The CRLF after a chunk's data.
void AppendChunkEnd(std::string& out);
// A whole chunk (header, data, CRLF); nothing for empty `data`.
void AppendChunk(absl::string_view data, std::string& out);
// The last chunk "0\r\n", then the trailer fields if any, then "\r\n".
void AppendLastChunk(std::string& out, const HeaderMap* trailers = nullptr);

}  // namespace strata::http

#endif  // STRATA_DATAPLANE_HTTP_HTTP1_ENCODER_H_

// Checks the server makes on a request before it is handled, apart from sockets so that unit
// tests and the fuzz target (tests/fuzz/http_request.cc) run exactly what the server runs: the
// framing rules of RFC 9112 that Beast's parser leaves to its user, and the page cache's key.
// Pure functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/asio.h"

namespace broadsheet::http {

// A complaint about how a request is framed: answered with `status`, then the connection is
// closed, so that no bytes a proxy in front framed differently are read as a request.
struct FramingProblem {
  int status;
  std::string_view message;
};

// True if a raw header block (request line and fields, without the final blank line) holds an
// obsolete folded line: one that starts with a space or a tab (RFC 9112 section 5.2), which
// Beast would join to the line before it.
bool HasFoldedLine(std::string_view header_block);

// What RFC 9112 says a server must refuse in a parsed request header beyond what Beast refuses:
// a Transfer-Encoding other than exactly chunked (400 when chunked is not last or repeated, 501
// for other codings), one beside Content-Length or in HTTP/1.0, and a Host that is missing
// (HTTP/1.1), repeated or not a host. nullopt when the framing is sound.
std::optional<FramingProblem> CheckFraming(const boost::beast::http::request_header<>& header);

// The page cache's key for a request target: escapes of unreserved characters decoded and the
// others' hex digits in upper case (RFC 3986 section 6.2.2), so that "/%61bout/" is the same page
// as "/about/" and re-encoding an address cannot make every request a miss.
std::string CacheKey(std::string_view target);

}  // namespace broadsheet::http

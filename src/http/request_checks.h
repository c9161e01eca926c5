// Checks the server makes on a request before it is handled, apart from sockets so that unit
// tests and the fuzz target (tests/fuzz/http_request.cc) run exactly what the server runs: the
// framing rules of RFC 9112 that Beast's parser leaves to its user, the request target's forms,
// the page cache's key, the client behind trusted proxies and the Request handlers see.
// Pure functions; safe on any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/asio.h"
#include "http/message.h"
#include "http/network.h"
#include "http/router.h"

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

// A request target as handlers see it (RFC 9112 section 3.2).
struct Target {
  std::string origin;  // origin form: "/path?query"
  std::string path;    // percent-decoded
  std::string query;   // as sent, without the "?"
};

// The origin form of a request target: one in origin form as it is; one in absolute form
// ("http://example.com/path?q", scheme http or https in any case, RFC 9112 section 3.2.2)
// reduced to its path (an empty path is "/") and query, so it is routed as its path would be
// (the Host header is still required and used as for any request). nullopt for anything else,
// asterisk form included (the server answers "OPTIONS *" itself), or a path that does not decode.
std::optional<Target> ParseTarget(std::string_view target);

// The page cache's key for a request to `target` whose route reads `query`: the CacheKey of the
// path followed by the query the route's handler sees (Query::Select), so that parameters the
// route does not read, their order, their repeats and their spelling make no new page, and a
// request with none of its parameters (or an empty query, "/a/?") is the page at the bare path.
// nullopt when the page is not to be cached at all: a query given to a route that reads any
// (Query::All()), which could otherwise add a cache entry per query string.
std::optional<std::string> PageKey(const Target& target, const Query& query);

// Reduces `request` (built by BuildRequest) to what a route that reads `query` may see: for all
// but Query::All(), its query becomes Query::Select of it, and its target the path as sent
// followed by that query, if any. The same reduction PageKey makes, so that a page's key holds
// everything its handler read.
void SelectQuery(const Query& query, Request& request);

// The method of a parsed request.
Method ToMethod(boost::beast::http::verb verb);

// The client a request comes from: `peer`, or when the peer is one of `trusted_proxies`, the
// rightmost X-Forwarded-For address that is not itself a trusted proxy. Every X-Forwarded-For
// line counts, in order, as one list (RFC 9110 section 5.3); an entry that is not an address (a
// proxy passed on what the client wrote) is "unknown".
std::string ClientAddress(const boost::beast::http::request_header<>& header,
                          const std::string& peer, bool peer_trusted,
                          const AddressRanges& trusted_proxies);

// The Request a handler sees for `raw` (routing fills in `params`): the target's parts, the
// headers with lower-case names, the body, the client and whether a trusted proxy says https.
// False when the target is malformed.
bool BuildRequest(const boost::beast::http::request<boost::beast::http::string_body>& raw,
                  const std::string& peer, bool peer_trusted, const AddressRanges& trusted_proxies,
                  Request& request);

}  // namespace broadsheet::http

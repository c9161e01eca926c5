// Raw bytes from a client, through Beast's request parser with the server's limits (16 KiB of
// headers, a 1 MiB body) as src/http/server.cc sets them, then the server's own steps from
// http/request_checks.h (framing, the target's forms, the page key and the query a route sees,
// the client behind trusted proxies, the Request handlers see); then what handlers ask of a
// request: query parameters, cookies, form fields and files.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include "fuzz_util.h"
#include "http/message.h"
#include "http/network.h"
#include "http/request_checks.h"

namespace bhttp = boost::beast::http;
using namespace broadsheet;
using namespace broadsheet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const AddressRanges proxies = *AddressRanges::Parse({"127.0.0.1", "10.0.0.0/8", "::1"});
  std::string_view input = fuzz::AsText(data, size);
  // The first byte says whether the peer is a trusted proxy, so both paths of ClientAddress run.
  const bool trusted = !input.empty() && (input.front() & 1);
  if (!input.empty()) input.remove_prefix(1);

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code error;
  while (!input.empty() && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), error);
    if (error && error != bhttp::error::need_more) return 0;
    if (used == 0) break;
    input.remove_prefix(used);
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return 0;  // put_eof's precondition, as Beast's read loop keeps it
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }
  (void)HasFoldedLine(fuzz::AsText(data, size));
  if (CheckFraming(parser.get().base())) return 0;  // the server answers 400/501 and closes
  (void)CacheKey(parser.get().target());
  static const Query declared = Query::Only({"replyto", "comment", "q", "page"});
  const auto target = ParseTarget(parser.get().target());
  if (target) {
    (void)PageKey(*target, Query::All());
    (void)PageKey(*target, Query::None());
  }
  Request request;
  if (!BuildRequest(parser.get(), "127.0.0.1", trusted, proxies, request)) return 0;
  // A route's key holds exactly what its handler sees, in the one spelling Select gives.
  Request seen = request;
  SelectQuery(declared, seen);
  if (!target || declared.Select(seen.query) != seen.query ||
      CacheKey(seen.target) != PageKey(*target, declared).value_or(""))
    __builtin_trap();
  (void)request.QueryParam("q");
  (void)request.Cookie("broadsheet_session");
  (void)request.FormFields();
  (void)request.Files();
  (void)ParseQuery(request.query);
  return 0;
}

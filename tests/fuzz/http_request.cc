// Raw bytes from a client, through Beast's request parser with the server's limits (16 KiB of
// headers, a 1 MiB body), then the glue that makes a Request (http/request_reader.h) and what
// handlers ask of it: query parameters, cookies, form fields and files.
#include <boost/beast/core/error.hpp>

#include "fuzz_util.h"
#include "http/request_reader.h"

namespace bhttp = boost::beast::http;
using namespace broadsheet;
using namespace broadsheet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const TrustedProxies proxies = *TrustedProxies::Parse({"127.0.0.1", "10.0.0.0/8", "::1"});
  std::string_view input = fuzz::AsText(data, size);
  // The first byte says whether the peer is a trusted proxy, so both paths of ClientIp run.
  const bool trusted = !input.empty() && (input.front() & 1);
  if (!input.empty()) input.remove_prefix(1);

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code error;
  while (!input.empty() && !parser.is_done()) {
    const size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), error);
    if (error == bhttp::error::need_more && used == 0) break;
    if (error && error != bhttp::error::need_more) return 0;
    input.remove_prefix(used);
    if (used == 0) break;
  }
  if (!parser.is_done()) {
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }
  const RawRequest& raw = parser.get();
  Request request;
  if (!BuildRequest(raw, ToMethod(raw.method()), Peer{"127.0.0.1", trusted}, proxies, request)) {
    return 0;
  }
  (void)request.QueryParam("q");
  (void)request.Cookie("broadsheet_session");
  (void)request.FormFields();
  (void)request.Files();
  (void)ParseQuery(request.query);
  return 0;
}

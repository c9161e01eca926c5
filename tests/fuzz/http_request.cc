// Raw bytes from a client, through Beast's request parser with the server's limits (16 KiB of
// headers, a 1 MiB body) as src/http/server.cc sets them, then the server's BuildRequest and
// ClientIp steps (decoded path, raw query, lower-case headers, the client behind trusted
// proxies), written again here with the same public functions because server.cc keeps them
// private to its Session; then what handlers ask of a request: query parameters, cookies, form
// fields and files.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include <cctype>

#include "core/text.h"
#include "fuzz_util.h"
#include "http/message.h"
#include "http/network.h"
#include "http/request_checks.h"

namespace bhttp = boost::beast::http;
using namespace broadsheet;
using namespace broadsheet::http;

namespace {

std::string ClientIp(const bhttp::request<bhttp::string_body>& raw, bool peer_trusted,
                     const AddressRanges& proxies) {
  const std::string peer = "127.0.0.1";
  if (!peer_trusted) return peer;
  const auto forwarded = SplitTrimmed(raw["X-Forwarded-For"], ',');
  std::string client = peer;
  for (auto it = forwarded.rbegin(); it != forwarded.rend(); ++it) {
    client = *it;
    if (!proxies.Contains(*it)) break;
  }
  return client;
}

bool BuildRequest(const bhttp::request<bhttp::string_body>& raw, bool peer_trusted,
                  const AddressRanges& proxies, Request& request) {
  request.method = raw.method() == bhttp::verb::post ? Method::kPost : Method::kGet;
  request.target = std::string(raw.target());
  if (request.target.empty() || request.target.front() != '/') return false;
  const auto question = request.target.find('?');
  auto path = PercentDecode(std::string_view(request.target).substr(0, question));
  if (!path) return false;
  request.path = std::move(*path);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  for (const auto& field : raw) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = raw.body();
  request.client_ip = ClientIp(raw, peer_trusted, proxies);
  request.secure = peer_trusted && request.Header("x-forwarded-proto") == "https";
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const AddressRanges proxies = *AddressRanges::Parse({"127.0.0.1", "10.0.0.0/8", "::1"});
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
  Request request;
  if (!BuildRequest(parser.get(), trusted, proxies, request)) return 0;
  (void)request.QueryParam("q");
  (void)request.Cookie("broadsheet_session");
  (void)request.FormFields();
  (void)request.Files();
  (void)ParseQuery(request.query);
  return 0;
}

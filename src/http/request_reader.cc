#include "http/request_reader.h"

#include <cctype>

#include "core/text.h"

namespace broadsheet::http {

namespace bhttp = boost::beast::http;

std::string ClientIp(const RawRequest& raw, const Peer& peer, const TrustedProxies& proxies) {
  if (!peer.trusted) return peer.address;
  const auto forwarded = SplitTrimmed(raw["X-Forwarded-For"], ',');
  std::string client = peer.address;
  for (auto it = forwarded.rbegin(); it != forwarded.rend(); ++it) {
    client = *it;
    if (!proxies.Contains(*it)) break;
  }
  return client;
}

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

bool BuildRequest(const RawRequest& raw, Method method, const Peer& peer,
                  const TrustedProxies& proxies, Request& request) {
  request.method = method;
  request.target = std::string(raw.target());
  if (request.target.empty() || request.target.front() != '/') return false;
  const auto question = request.target.find('?');
  auto path = PercentDecode(std::string_view(request.target).substr(0, question));
  if (!path) return false;
  request.path = std::move(*path);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers.reserve(16);
  for (const auto& field : raw) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = raw.body();
  request.client_ip = ClientIp(raw, peer, proxies);
  request.secure = peer.trusted && request.Header("x-forwarded-proto") == "https";
  return true;
}

}  // namespace broadsheet::http

// From Beast's parsed message to the Request that handlers see: the glue the server runs on
// every request, apart from sockets so that tests and the fuzz target (tests/fuzz/http_request.cc)
// drive exactly what the server does. Pure functions; safe on any thread.
#pragma once

#include <string>

#include <boost/beast/http.hpp>

#include "http/message.h"
#include "http/network.h"

namespace broadsheet::http {

using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;

// The connection's other end; `trusted` when it is one of the trusted proxies.
struct Peer {
  std::string address;
  bool trusted = false;
};

Method ToMethod(boost::beast::http::verb verb);

// The peer, or, when the peer is a trusted proxy, the rightmost X-Forwarded-For address that is
// not itself a trusted proxy.
std::string ClientIp(const RawRequest& raw, const Peer& peer, const TrustedProxies& proxies);

// Fills `request` (method, target, decoded path, query, lower-case headers, body, client address
// and scheme). False when the target is not a path ("/…") or its path has a malformed escape.
bool BuildRequest(const RawRequest& raw, Method method, const Peer& peer,
                  const TrustedProxies& proxies, Request& request);

}  // namespace broadsheet::http

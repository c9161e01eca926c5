// Server: Broadsheet's HTTP/1.1 server on Boost.Beast.
//
// One io_context per thread (a thread per core by default); one acceptor hands connections to
// the threads in turn, so a connection lives on one thread and needs no locks. Each request gets
// a fresh parser with limits (request line and headers 16 KiB -> 431, body -> 413, malformed
// -> 400) and a deadline for the whole request, so a slow or idle client cannot hold anything
// for long. Framing is strict (RFC 9112): a Transfer-Encoding other than exactly "chunked", one
// beside Content-Length or in HTTP/1.0, a missing (HTTP/1.1) or repeated Host, and obsolete line
// folding are answered 400 or 501 and the connection is closed, so that no bytes a proxy in
// front framed differently are ever read as a request of their own. Connections are capped per
// client address and in all (see ServerOptions). Responses for cacheable GETs come from the
// PageCache when they can: a hit touches neither the database nor the templates. Handlers never see
// sockets (see router.h).
//
// Shutdown (Stop, or SIGINT/SIGTERM when `handle_signals`, after ServerOptions::drain): stop
// accepting, close idle
// connections, let in-flight requests finish (answered with Connection: close), then return
// from Run; after `shutdown_grace` whatever remains is cut off.
//
// Ownership: the Server borrows its services (router, cache, metrics, log); they must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/access_log.h"
#include "http/metrics.h"
#include "http/network.h"
#include "http/page_cache.h"
#include "http/router.h"

namespace broadsheet::http {

struct ServerOptions {
  ListenAddress listen;
  int threads = 0;                      // 0: one per core
  size_t max_header_bytes = 16 * 1024;  // request line + headers
  size_t max_body_bytes = 1024 * 1024;
  // Requests to routes added with Body::kUpload may carry bodies up to max_upload_bytes, when
  // ServerServices::may_upload lets them; every other request keeps max_body_bytes.
  size_t max_upload_bytes = 0;
  std::chrono::milliseconds request_timeout{15000};  // idle wait + the whole request
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
  // Open connections, all clients together; at the limit the longest-idle keep-alive connections
  // are closed to make room, and a new connection is refused only when none is idle.
  size_t max_connections = 10000;
  // Open connections from one client address: the peer's, or for a trusted proxy's connection
  // the client its latest request was forwarded for. Past it new connections are closed at once
  // (a proxied request gets 429), so one address cannot crowd out the others.
  size_t max_connections_per_address = 256;
  AddressRanges trusted_proxies;  // whose X-Forwarded-For/-Proto are believed
  bool handle_signals = true;     // stop gracefully on SIGINT and SIGTERM
  // With handle_signals: after the first SIGTERM, `on_drain` is called at once (the application
  // stops answering readiness) and everything is served as before for `drain`, so that a load
  // balancer notices; then the server stops as Stop does (SIGINT stops at once). A second
  // signal ends the process at once.
  std::chrono::milliseconds drain{0};
  std::function<void()> on_drain;
  // Hosts pages may frame (article embeds): the default Content-Security-Policy gains
  // "frame-src 'self' https://HOST …". Empty: frames fall back to default-src 'self'.
  std::vector<std::string> frame_hosts;
  // Cache-Control of the pages the page cache keeps whose handler named none: for browsers
  // (max-age=0: they revalidate every time, cheaply, with the ETag) and for shared caches in
  // front (s-maxage, stale-while-revalidate), e.g. "public, max-age=0, s-maxage=300,
  // stale-while-revalidate=60".
  std::string shared_cache_control = "public, no-cache";
  // A surrogate key every kept page is filed under besides its own (Response::surrogate_keys),
  // so that one purge empties a shared cache of this site. Empty: no Surrogate-Key header at all
  // (no shared cache keeps the pages, so no bytes are spent naming their keys).
  std::string site_key;
};

struct ServerServices {
  const Router& router;
  PageCache& cache;
  Metrics& metrics;
  AccessLog& access_log;
  // The content version (see Store::ContentVersion); the cache is flushed when it changes.
  std::function<std::uint64_t()> content_version;
  // Renders an error page for `status`; used when a handler fails.
  std::function<Response(int status, const Error& error, const Request& request)> error_page;
  // Whether a request (its header; no body yet) to an upload route may send a body up to
  // max_upload_bytes: a signed-in member of staff, say. Called on the handler pool. Unset: any may.
  std::function<bool(const Request& head)> may_upload;
  // Called (on the handler pool) with a stale page's surrogate keys once it has been rendered
  // again and stored: a shared cache in front may have kept the stale copy this server served
  // meanwhile (PageCache::MarkStale), and its own key (the first) should be purged. Unset: none.
  std::function<void(const std::vector<std::string>& surrogate_keys)> page_refreshed = {};
};

class Server {
 public:
  Server(ServerOptions options, ServerServices services);
  ~Server();

  // Binds the listening socket. kConflict when the address is in use.
  Result<void> Listen();
  // The bound port (useful after listening on port 0).
  std::uint16_t port() const;
  // Serves until Stop() or a signal; returns when connections are drained.
  void Run();
  // Thread-safe and idempotent.
  void Stop();

  class Impl;  // the Beast machinery, kept out of this header

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace broadsheet::http

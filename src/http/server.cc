#include "http/server.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <ctime>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "core/text.h"
#include "core/time.h"
#include "http/asio.h"
#include "http/compression.h"
#include "http/request_checks.h"
#include "http/status.h"

namespace broadsheet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
// A connection's socket, bound to its worker's io_context (not type-erased: the hot path pays no
// polymorphic executor).
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

// A connection's descriptor on its way to its worker; closed if it never gets there.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Descriptor& operator=(Descriptor&&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The monotonic clock to a few milliseconds, for deadlines: cheaper to read than Clock::now().
Clock::time_point CoarseNow() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return Clock::time_point(std::chrono::seconds(now.tv_sec) +
                           std::chrono::nanoseconds(now.tv_nsec));
}

// How often each worker looks for connections past their deadline.
constexpr auto kDeadlineSweep = std::chrono::milliseconds(250);

// Sent with every response. Public pages need no inline script or style, so the policy is
// strict; images may come from other hosts because imported archives reference them.
constexpr std::string_view kBaseHeaders =
    "Server: Broadsheet\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: strict-origin-when-cross-origin\r\n"
    "X-Frame-Options: DENY\r\n";
constexpr std::string_view kDefaultPolicy =
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'";

// `fallback` is the server's default policy (kDefaultPolicy with its frame hosts).
void AppendCommonHeaders(std::string& head, std::string_view policy, std::string_view fallback) {
  head += kBaseHeaders;
  head += "Content-Security-Policy: ";
  head += policy.empty() ? fallback : policy;
  head += "\r\n";
}

std::string DefaultPolicy(const std::vector<std::string>& frame_hosts) {
  std::string policy(kDefaultPolicy);
  if (frame_hosts.empty()) return policy;
  policy += "; frame-src 'self'";
  for (const auto& host : frame_hosts) policy += " https://" + host;
  return policy;
}

constexpr size_t kCompressOnTheFlyMinimum = 1024;
// When the server is full, a connection that has spent longer than this on one request (a real
// client sends its header in one go) may be closed to make room.
constexpr auto kStalledAfter = std::chrono::seconds(2);
// Threads that run handlers (cache misses, forms); they mostly wait on the database.
constexpr size_t kHandlerThreads = 4;

// "Date: …\r\n" for the current second, formatted once per second per thread.
std::string_view DateHeader() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached = "Date: " + FormatHttpDate(now) + "\r\n";
  }
  return cached;
}

// "[28/Nov/2026:02:51:25 +0000]" for the access log, once per second per thread.
std::string_view LogTime() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    std::tm parts{};
    gmtime_r(&now, &parts);
    char buffer[40];
    std::strftime(buffer, sizeof buffer, "[%d/%b/%Y:%H:%M:%S +0000]", &parts);
    cached = buffer;
  }
  return cached;
}

// Access-log fields are quoted; a quote or control byte inside must not forge a field.
void AppendLogField(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += '-';
    return;
  }
  for (char c : value.substr(0, 2048)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
}

// Appends `value` in decimal.
void AppendNumber(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// Appends `duration` as seconds with six decimals ("0.000183").
void AppendSeconds(std::string& out, Clock::duration duration) {
  const auto micros = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
  AppendNumber(out, static_cast<std::uint64_t>(micros / 1000000));
  out += '.';
  char digits[8];
  const auto end = std::to_chars(digits, digits + sizeof digits, micros % 1000000).ptr;
  out.append(6 - static_cast<size_t>(end - digits), '0');
  out.append(digits, end);
}

std::string StatusLine(int status) {
  return fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
}

// The head of a cached variant: everything but Date, Connection and the blank line.
std::string CachedHead(const Response& response, const std::string& cache_control,
                       const std::string& surrogate_keys, const std::string& etag,
                       std::string_view encoding, size_t length, std::string_view policy) {
  std::string head = StatusLine(response.status);
  head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\nETag: {}\r\nCache-Control: {}\r\n",
                      response.content_type, length, etag, cache_control);
  if (IsCompressible(response.content_type)) head += "Vary: Accept-Encoding\r\n";
  if (!encoding.empty()) head += fmt::format("Content-Encoding: {}\r\n", encoding);
  if (!surrogate_keys.empty()) head += fmt::format("Surrogate-Key: {}\r\n", surrogate_keys);
  if (response.last_modified > 0)
    head += fmt::format("Last-Modified: {}\r\n", FormatHttpDate(response.last_modified));
  for (const auto& [name, value] : response.headers) head += fmt::format("{}: {}\r\n", name, value);
  AppendCommonHeaders(head, response.content_security_policy, policy);
  return head;
}

// The Surrogate-Key value of a kept page: its own keys and the site's, once each, separated by
// spaces (keys are made of letters, digits and ":-", never a space or a control byte).
std::string SurrogateKeys(const Response& response, const std::string& site_key) {
  std::vector<std::string> keys;
  for (const auto& key : response.surrogate_keys) {
    const bool safe = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return c > ' ' && c < 0x7f && c != ',';
    });
    if (safe && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  if (!site_key.empty() && std::find(keys.begin(), keys.end(), site_key) == keys.end())
    keys.push_back(site_key);
  std::string joined;
  for (const auto& key : keys) joined += (joined.empty() ? "" : " ") + key;
  return joined;
}

std::shared_ptr<CachedPage> MakeCachedPage(const Response& response, std::string_view route,
                                           std::string_view policy, const ServerOptions& options) {
  auto page = std::make_shared<CachedPage>();
  page->route = std::string(route);
  page->status = response.status;
  page->expires = response.cache_until;
  page->last_modified = response.last_modified;
  const std::string cache_control =
      response.cache_control.empty() ? options.shared_cache_control : response.cache_control;
  const std::string keys =
      options.site_key.empty() ? std::string() : SurrogateKeys(response, options.site_key);
  // A strong validator from the body's bytes; each coding gets its own (RFC 9110 8.8.3).
  const auto hash = std::hash<std::string>{}(response.body);
  const std::string base =
      fmt::format("{:016x}{:08x}", hash, static_cast<uint32_t>(response.body.size()));
  page->identity.body = response.body;
  page->identity.etag = "\"" + base + "\"";
  page->identity.head = CachedHead(response, cache_control, keys, page->identity.etag, "",
                                   page->identity.body.size(), policy);
  if (IsCompressible(response.content_type) && response.body.size() >= 256) {
    std::string gzip = Gzip(response.body, 6);
    if (!gzip.empty() && gzip.size() < response.body.size()) {
      page->gzip.body = std::move(gzip);
      page->gzip.etag = "\"" + base + "-gz\"";
      page->gzip.head = CachedHead(response, cache_control, keys, page->gzip.etag, "gzip",
                                   page->gzip.body.size(), policy);
    }
    std::string brotli = Brotli(response.body, 9);
    if (!brotli.empty() && brotli.size() < response.body.size()) {
      page->brotli.body = std::move(brotli);
      page->brotli.etag = "\"" + base + "-br\"";
      page->brotli.head = CachedHead(response, cache_control, keys, page->brotli.etag, "br",
                                     page->brotli.body.size(), policy);
    }
  }
  return page;
}

// True if an If-None-Match value names any variant of `page` (weak comparison).
// `head` with its shared caches' lifetime cut to one second (s-maxage=1), for a stale copy
// (Session::SendCached); a head without s-maxage is returned as it is.
std::string BrieflyShared(const std::string& head) {
  constexpr std::string_view kShared = "s-maxage=";
  std::string brief = head;
  const auto line = brief.find("Cache-Control: ");
  if (line == std::string::npos) return brief;
  const auto at = brief.find(kShared, line);
  if (at == std::string::npos || at > brief.find("\r\n", line)) return brief;
  const auto digits = at + kShared.size();
  auto end = digits;
  while (end < brief.size() && brief[end] >= '0' && brief[end] <= '9') ++end;
  brief.replace(digits, end - digits, "1");
  return brief;
}

bool MatchesEtag(std::string_view if_none_match, const CachedPage& page) {
  if (if_none_match.empty()) return false;
  std::string_view base = page.identity.etag;
  base = base.substr(1, base.size() - 2);
  size_t start = 0;
  while (start < if_none_match.size()) {
    auto end = if_none_match.find(',', start);
    if (end == std::string_view::npos) end = if_none_match.size();
    auto tag = Trim(if_none_match.substr(start, end - start));
    start = end + 1;
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') continue;
    tag = tag.substr(1, tag.size() - 2);
    if (tag.ends_with("-gz") || tag.ends_with("-br")) tag.remove_suffix(3);
    if (tag == base) return true;
  }
  return false;
}

class Session;

struct Worker {
  // Declared before the io_context so that sessions destroyed with it can still unregister.
  std::unordered_set<Session*> sessions;
  // One thread runs it, and each of its sockets is registered, used and closed on that thread
  // only (a new connection arrives as a bare descriptor: Newcomer), so I/O objects need no locks
  // of their own.
  asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  // Every kDeadlineSweep, cancels the I/O of sessions past their deadline (Session::Expire):
  // one timer per worker instead of one per read and write.
  asio::steady_timer sweep{ioc};
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, ServerServices services)
      : options_(std::move(options)),
        services_(std::move(services)),
        default_policy_(DefaultPolicy(options_.frame_hosts)) {
    int threads = options_.threads > 0 ? options_.threads
                                       : static_cast<int>(std::thread::hardware_concurrency());
    if (threads < 1) threads = 1;
    for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
    acceptor_.emplace(workers_[0]->ioc);
    accept_pause_.emplace(workers_[0]->ioc);
  }

  Result<void> Listen();
  void Run();
  void Stop();
  std::uint16_t port() const { return port_; }

  const ServerOptions& options() const { return options_; }
  const std::string& default_policy() const { return default_policy_; }
  ServerServices& services() { return services_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  std::atomic<size_t>& connections() { return connections_; }
  ConnectionCounts& addresses() { return addresses_; }
  asio::thread_pool& handler_pool() { return handler_pool_; }

 private:
  void Accept();
  // Starts a session for a connection just accepted, on `worker`, or closes it when its address,
  // or the server, has no room for it.
  void Admit(size_t worker, tcp::socket accepted);
  // The server is full: closes idle or stalled connections on worker `at` and, if it has none, on
  // the next ones in turn; then starts the connection on its own worker, `home`, or refuses it.
  // The connection travels as its bare descriptor: only its home worker's thread registers it
  // with an io_context (whose sockets take no locks, so each must be used by one thread only).
  struct Newcomer {
    Descriptor descriptor;
    tcp protocol;
    std::string peer;
    bool proxied;
  };
  void MakeRoom(size_t home, size_t at, size_t tried, Newcomer newcomer);
  void Start(size_t home, Newcomer newcomer, bool room);
  // Ends the I/O of `worker`'s sessions past their deadline, every kDeadlineSweep until the
  // server stops and the worker's last session has gone.
  void Sweep(Worker& worker);

  // Out of file descriptors, accepting again at once would fail again at once: a short pause.
  static constexpr auto kAcceptPause = std::chrono::milliseconds(50);
  ServerOptions options_;
  ServerServices services_;
  std::string default_policy_;
  // Before the workers: sessions still open when the server is destroyed (a stop whose grace ran
  // out) are destroyed with their worker's io_context, and release their counts here.
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  ConnectionCounts addresses_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::steady_timer> drain_timer_;  // from the first signal to Stop
  size_t next_worker_ = 0;
  std::uint16_t port_ = 0;
  std::optional<asio::steady_timer> accept_pause_;
  std::mutex finished_mutex_;
  std::condition_variable finished_changed_;
  int finished_threads_ = 0;
  bool stop_requested_ = false;
  // Last, so it is joined first on destruction, while everything its jobs use still exists.
  asio::thread_pool handler_pool_{kHandlerThreads};
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `peer` is the connection's address; `proxied` when it is a trusted proxy's, whose
  // connections are counted under the client each request was forwarded for. Otherwise the
  // caller has counted the connection under `peer` already.
  Session(Socket socket, Worker& worker, Server::Impl& server, std::string peer, bool proxied)
      : socket_(std::move(socket)),
        worker_(worker),
        server_(server),
        peer_(std::move(peer)),
        peer_trusted_(proxied),
        counted_address_(proxied ? std::string() : peer_) {}

  ~Session() {
    worker_.sessions.erase(this);
    if (!counted_address_.empty()) server_.addresses().Release(counted_address_);
    server_.connections().fetch_sub(1, std::memory_order_relaxed);
    server_.services().metrics.RecordConnectionClosed();
  }

  void Start() {
    worker_.sessions.insert(this);
    server_.services().metrics.RecordConnectionOpened();
    boost::system::error_code error;
    socket_.set_option(tcp::no_delay(true), error);
    DoRead();
  }

  // Waiting for a request that has not begun (a keep-alive connection between requests).
  bool Idle() const { return reading_ && buffer_.size() == 0 && !(parser_ && parser_->got_some()); }
  // Still reading a request begun longer ago than a client that means it takes to send one (an
  // upload a signed-in person was allowed to send apart): what a slow-sending attack looks like.
  bool Stalled(Clock::time_point now) const {
    return reading_ && !upload_allowed_ && now - idle_since_ > kStalledAfter;
  }
  Clock::time_point idle_since() const { return idle_since_; }

  // Called on this session's thread (shutdown).
  void CloseIfIdle() {
    if (Idle()) Cancel();
  }
  // Called on this session's thread when the server is full and room is needed.
  void CloseForRoom() { Cancel(); }
  // Called on this session's thread by its worker's sweep: the read or write under way, if any,
  // ends with an error once the deadline has passed, and the connection closes. (A request being
  // answered on the handler pool has no I/O under way; its write sets a new deadline.)
  void Expire(Clock::time_point now) {
    if (now >= deadline_) Cancel();
  }

 private:
  // The header first, then (if there is one) the body, with the limit for the request's path.
  void DoRead() {
    const auto& options = server_.options();
    upload_allowed_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    // Beast compares a Content-Length with this limit as soon as the header is parsed, so it
    // starts at the largest; ReadBody sets the request's own limit (the form limit unless the
    // route takes uploads) before a byte of the body is read.
    parser_->body_limit(std::max(options.max_body_bytes, options.max_upload_bytes));
    reading_ = true;
    idle_since_ = CoarseNow();
    deadline_ = idle_since_ + options.request_timeout;
    ReadHeaderBlock();
  }

  // Reads until the buffer holds the whole header block (or more than the header limit), so that
  // the raw lines can be checked for obsolete folding before Beast parses (and joins) them.
  void ReadHeaderBlock() {
    const std::string_view bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const size_t end = bytes.find("\r\n\r\n");
    const size_t limit = server_.options().max_header_bytes;
    if (end != std::string_view::npos || bytes.size() > limit) {
      if (HasFoldedLine(bytes.substr(0, std::min(end, limit)))) {
        reading_ = false;
        return SendProblem(400, "The request has an obsolete folded header line.");
      }
      // The block is here: parse it now rather than through another trip round the event loop.
      beast::error_code error;
      buffer_.consume(parser_->put(buffer_.data(), error));
      if (error != bhttp::error::need_more) return OnHeader(error);
      return bhttp::async_read_header(
          socket_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code error, size_t) { self->OnHeader(error); });
    }
    socket_.async_read_some(buffer_.prepare(std::max<size_t>(4096, limit + 4 - bytes.size())),
                            [self = shared_from_this()](beast::error_code error, size_t bytes) {
                              if (error) return self->OnRead(error);
                              self->buffer_.commit(bytes);
                              self->ReadHeaderBlock();
                            });
  }

  void OnHeader(beast::error_code error) {
    if (!error) {
      if (auto problem = CheckFraming(parser_->get().base())) {
        reading_ = false;
        return SendProblem(problem->status, problem->message);
      }
    }
    if (error || parser_->is_done()) return OnRead(error);
    const auto& options = server_.options();
    const auto length = parser_->content_length();
    const bool large = !length || *length > options.max_body_bytes;  // chunked: not known yet
    // Only the routes that take uploads may read more than a form; which route it is, is known
    // from the header, before any of the body is read.
    bool upload = false;
    if (large && options.max_upload_bytes > options.max_body_bytes) {
      const auto target = ParseTarget(parser_->get().target());
      upload = target && server_.services()
                                 .router.OptionsFor(ToMethod(parser_->get().method()), target->path)
                                 .body == Body::kUpload;
    }
    const auto& may_upload = server_.services().may_upload;
    if (!upload || !may_upload) return ReadBody(upload);
    // Only a person the application lets upload (signed-in staff) may send a large body: the
    // check reads the database, so it runs on the handler pool; nothing is read meanwhile.
    Request head;
    if (!BuildRequest(parser_->get(), head)) return ReadBody(false);
    asio::post(server_.handler_pool(), [self = shared_from_this(), head = std::move(head),
                                        work = asio::make_work_guard(worker_.ioc)]() mutable {
      bool allowed = false;
      try {
        allowed = self->server_.services().may_upload(head);
      } catch (const std::exception&) {
      }
      // Moved, so that the session is released on its own thread (see Handle).
      auto& ioc = self->worker_.ioc;
      asio::post(ioc, [self = std::move(self), allowed] { self->ReadBody(allowed); });
    });
  }

  // Reads the body, up to the upload limit when `upload` (with more time: an upload of many
  // megabytes needs longer than a form does), else up to the limit for forms.
  void ReadBody(bool upload) {
    const auto& options = server_.options();
    upload_allowed_ = upload;
    const size_t limit = upload ? std::max(options.max_body_bytes, options.max_upload_bytes)
                                : options.max_body_bytes;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      reading_ = false;
      return SendProblem(413, "The request body is too large.");
    }
    parser_->body_limit(limit);
    if (upload) {
      deadline_ = CoarseNow() + std::max<std::chrono::milliseconds>(options.request_timeout,
                                                                    std::chrono::seconds(120));
    }
    fields_before_body_ = static_cast<size_t>(
        std::distance(parser_->get().base().begin(), parser_->get().base().end()));
    bhttp::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    reading_ = false;
    if (error) {
      if (error == bhttp::error::header_limit)
        return SendProblem(431, "Request headers are larger than 16 KiB.");
      if (error == bhttp::error::body_limit)
        return SendProblem(413, "The request body is too large.");
      const bool parse_error =
          error.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          error != bhttp::error::end_of_stream && error != bhttp::error::partial_message &&
          error != bhttp::error::need_more;
      if (parse_error) {
        return SendProblem(400, "The request is malformed.");
      }
      return Close();  // end of stream, timeout, reset, shutdown
    }
    // Beast adds a chunked body's trailer fields to the header, after the checks above ran.
    if (fields_before_body_ != 0 &&
        static_cast<size_t>(std::distance(parser_->get().base().begin(),
                                          parser_->get().base().end())) != fields_before_body_) {
      return SendProblem(400, "The request has trailer fields, which this server does not take.");
    }
    fields_before_body_ = 0;
    Handle(parser_->get());
  }

  void Handle(const bhttp::request<bhttp::string_body>& raw) {
    const auto start = Clock::now();
    auto& services = server_.services();
    const Method method = ToMethod(raw.method());
    keep_alive_ = raw.keep_alive() && !server_.stopping();
    http10_ = raw.version() == 10;
    const std::string_view target = raw.target();
    const bool head_only = method == Method::kHead;
    const bool cacheable_method = method == Method::kGet || method == Method::kHead;
    if (peer_trusted_ && !CountForwardedClient(raw))
      return SendProblem(429, "Too many connections from one address.");

    const auto parsed = ParseTarget(target);
    if (!parsed) {
      if (target == "*" && method == Method::kOptions) {
        // Asterisk form (RFC 9112 section 3.2.4): what the server as a whole accepts.
        Response response = Response::Text(200, "");
        response.headers.emplace_back("Allow", services.router.AllowedMethods("*"));
        return SendResponse(std::move(response), "options", raw, start, false);
      }
      return SendResponse(Response::Text(400, "The request target is malformed."), "invalid", raw,
                          start, head_only);
    }
    // Parameters the route does not read are no part of the page's key, and a route that reads
    // any (Query::All) is not cached when given some (see PageKey). Without a query the route
    // need not be looked up: every route's key is then the path.
    std::optional<std::string> page_key;
    if (cacheable_method) {
      page_key = PageKey(*parsed, parsed->query.empty()
                                      ? Query::None()
                                      : services.router.OptionsFor(method, parsed->path).query);
    }
    const bool cacheable = page_key.has_value();
    const std::string key = page_key.value_or(std::string());
    PageCache::Ticket ticket;
    if (cacheable) {
      ticket = services.cache.Sync(services.content_version());
      if (auto hit = services.cache.Find(key)) {
        services.metrics.RecordCacheHit(head_only ? 0 : hit.page->identity.body.size());
        if (hit.refresh) Refresh(raw, ticket, key);
        return SendCached(std::move(hit.page), raw, start, hit.stale);
      }
    }

    Request request;
    if (!BuildRequest(raw, request)) {
      return SendResponse(Response::Text(400, "The request target is malformed."), "invalid", raw,
                          start, head_only);
    }
    // Handlers may block (the database, an fsync, password hashing), so they run on the handler
    // pool; this thread goes on serving cached pages and other connections meanwhile. The work
    // guard keeps this thread's loop alive (and a graceful stop waiting) until the answer is back.
    asio::post(server_.handler_pool(),
               [self = shared_from_this(), request = std::move(request), ticket, start, key,
                cacheable, head_only, work = asio::make_work_guard(worker_.ioc)]() mutable {
                 auto& services = self->server_.services();
                 std::string route = "invalid";
                 Response response = self->Dispatch(request, route);
                 std::shared_ptr<const CachedPage> page;
                 if (response.Storable() && cacheable) {
                   services.metrics.RecordCacheMiss();
                   // Compressing is work for this pool too.
                   page = MakeCachedPage(response, route, self->server_.default_policy(),
                                         self->server_.options());
                   services.cache.Insert(key, page, ticket);
                 }
                 // The session goes back to its thread with the answer: this pool thread must not
                 // hold the last reference, since ~Session unregisters from its worker's (unlocked)
                 // session set.
                 auto& ioc = self->worker_.ioc;
                 asio::post(ioc, [self = std::move(self), response = std::move(response),
                                  page = std::move(page), route = std::move(route), start,
                                  head_only]() mutable {
                   const auto& raw = self->parser_->get();
                   if (page) return self->SendCached(std::move(page), raw, start);
                   self->SendResponse(std::move(response), route, raw, start, head_only);
                 });
               });
  }

  // Renders a stale page again on the handler pool, while the stale copy answers this request.
  void Refresh(const bhttp::request<bhttp::string_body>& raw, PageCache::Ticket ticket,
               const std::string& key) {
    Request request;
    if (!BuildRequest(raw, request)) return;
    request.method = Method::kGet;
    asio::post(server_.handler_pool(),
               [self = shared_from_this(), request = std::move(request), ticket, key]() mutable {
                 auto& cache = self->server_.services().cache;
                 std::string route;
                 Response response = self->Dispatch(request, route);
                 if (response.Storable()) {
                   cache.Insert(key,
                                MakeCachedPage(response, route, self->server_.default_policy(),
                                               self->server_.options()),
                                ticket);
                   // After the Insert: a cache in front told now fetches the new page.
                   const auto& refreshed = self->server_.services().page_refreshed;
                   if (refreshed && !response.surrogate_keys.empty())
                     refreshed(response.surrogate_keys);
                 } else {
                   cache.Release(key);
                 }
                 // Released on the session's thread, as in Handle: the connection may have closed
                 // meanwhile, and ~Session must not run on this pool thread.
                 auto& ioc = self->worker_.ioc;
                 asio::post(ioc, [self = std::move(self)] {});
               });
  }

  bool BuildRequest(const bhttp::request<bhttp::string_body>& raw, Request& request) const {
    return http::BuildRequest(raw, peer_, peer_trusted_, server_.options().trusted_proxies,
                              request);
  }

  // A trusted proxy's connection is counted under the client of its latest request (not at all
  // for the proxy's own requests). False when that client already has all it may.
  bool CountForwardedClient(const bhttp::request<bhttp::string_body>& raw) {
    std::string client = ClientIp(raw);
    if (client == counted_address_) return true;
    if (!counted_address_.empty()) server_.addresses().Release(counted_address_);
    counted_address_.clear();
    if (server_.options().trusted_proxies.Contains(client)) return true;
    if (!server_.addresses().Acquire(client, server_.options().max_connections_per_address))
      return false;
    counted_address_ = std::move(client);
    return true;
  }

  // The peer, or the client a trusted proxy forwarded the request for (ClientAddress).
  std::string ClientIp(const bhttp::request<bhttp::string_body>& raw) const {
    return ClientAddress(raw.base(), peer_, peer_trusted_, server_.options().trusted_proxies);
  }

  Response Dispatch(Request& request, std::string& route) {
    auto& services = server_.services();
    const Router& router = services.router;
    bool path_matched = false;
    auto match = router.Find(request.method, request.path, &path_matched);
    const Handler* handler = nullptr;
    if (match) {
      route = std::string(match->name);
      request.params = std::move(match->params);
      SelectQuery(match->options.query, request);  // what the route reads, as its key holds
      handler = match->handler;
    } else if (path_matched) {
      route = "method_not_allowed";
      Response response =
          Response::Text(405, "This address does not accept " +
                                  std::string(MethodName(request.method)) + " requests.");
      response.headers.emplace_back("Allow", router.AllowedMethods(request.path));
      return response;
    } else {
      route = "not_found";
      handler = router.fallback() ? &router.fallback() : nullptr;
    }
    if (handler == nullptr) return Response::Text(404, "Not found.");
    Result<Response> result = [&]() -> Result<Response> {
      try {
        return (*handler)(request);
      } catch (const std::exception& e) {
        return Fail(ErrorCode::kInternal, "Something went wrong on our side.", e.what());
      }
    }();
    if (result) return std::move(*result);
    const int status = StatusFor(result.error().code);
    if (status >= 500) {
      std::fprintf(stderr, "error: %s %s: %s\n", std::string(MethodName(request.method)).c_str(),
                   request.target.c_str(), Describe(result.error()).c_str());
    }
    if (services.error_page) return services.error_page(status, result.error(), request);
    return Response::Text(status, result.error().message);
  }

  // `stale`: a copy marked stale (a comment arrived and the page is being rendered again, or
  // will be once its one render a second is due). It is what this node has now, but a shared
  // cache in front must keep it no more than a second: kept for s-maxage, it could outlive the
  // purge that follows the new rendering, or there may be no purge at all (a refresh not due).
  void SendCached(std::shared_ptr<const CachedPage> page,
                  const bhttp::request<bhttp::string_body>& raw, Clock::time_point start,
                  bool stale = false) {
    const bool head_only = raw.method() == bhttp::verb::head;
    const auto if_none_match = raw[bhttp::field::if_none_match];
    const CachedPage::Variant* variant = &page->identity;
    const Encoding encoding = NegotiateEncoding(raw[bhttp::field::accept_encoding]);
    if (encoding == Encoding::kBrotli && !page->brotli.body.empty()) {
      variant = &page->brotli;
    } else if (encoding != Encoding::kIdentity && !page->gzip.body.empty()) {
      variant = &page->gzip;
    }
    int status = page->status;
    tail_.clear();
    // If-None-Match decides when sent; else If-Modified-Since, for pages with a date (RFC 9110).
    bool not_modified = MatchesEtag(if_none_match, *page);
    if (if_none_match.empty() && page->last_modified > 0) {
      const auto since = raw[bhttp::field::if_modified_since];
      const auto parsed = since.empty() ? std::nullopt : ParseHttpDate(since);
      not_modified = parsed && page->last_modified <= *parsed;
    }
    if (not_modified) {
      status = 304;
      head_.clear();
      head_ += StatusLine(304);
      head_ += fmt::format("ETag: {}\r\n", variant->etag);
      // Cache-Control and Vary repeat what the 200 said.
      std::string brief;
      if (stale) brief = BrieflyShared(variant->head);
      const std::string& full = stale ? brief : variant->head;
      for (std::string_view name : {"Cache-Control: ", "Vary: ", "Last-Modified: "}) {
        const auto at = full.find(name);
        if (at != std::string::npos) head_ += full.substr(at, full.find("\r\n", at) - at + 2);
      }
      AppendCommonHeaders(head_, {}, server_.default_policy());
      AppendTail();
      Log(raw, status, 0, page->route, start);
      return Write({asio::buffer(head_), asio::buffer(tail_), asio::const_buffer()});
    }
    AppendTail();
    if (stale) head_ = BrieflyShared(variant->head);
    const std::string& head = stale ? head_ : variant->head;
    cached_ = std::move(page);
    const size_t body_bytes = head_only ? 0 : variant->body.size();
    Log(raw, status, body_bytes, cached_->route, start);
    Write(
        {asio::buffer(head), asio::buffer(tail_), asio::buffer(variant->body.data(), body_bytes)});
  }

  void SendResponse(Response response, std::string_view route,
                    const bhttp::request<bhttp::string_body>& raw, Clock::time_point start,
                    bool head_only) {
    if (IsCompressible(response.content_type) && response.body.size() >= kCompressOnTheFlyMinimum) {
      const Encoding encoding = NegotiateEncoding(raw[bhttp::field::accept_encoding]);
      std::string compressed;
      const char* name = nullptr;
      if (encoding == Encoding::kBrotli) {
        compressed = Brotli(response.body, 5);
        name = "br";
      } else if (encoding == Encoding::kGzip) {
        compressed = Gzip(response.body, 5);
        name = "gzip";
      }
      if (name != nullptr && !compressed.empty() && compressed.size() < response.body.size()) {
        response.body = std::move(compressed);
        response.headers.emplace_back("Content-Encoding", name);
      }
      response.headers.emplace_back("Vary", "Accept-Encoding");
    }
    head_ = StatusLine(response.status);
    head_ += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\nCache-Control: {}\r\n",
                         response.content_type, response.body.size(),
                         response.cache_control.empty() ? "no-store" : response.cache_control);
    for (const auto& [name, value] : response.headers)
      head_ += fmt::format("{}: {}\r\n", name, value);
    AppendCommonHeaders(head_, response.content_security_policy, server_.default_policy());
    tail_.clear();
    AppendTail();
    body_ = std::move(response.body);
    const size_t body_bytes = head_only ? 0 : body_.size();
    Log(raw, response.status, body_bytes, route, start);
    Write({asio::buffer(head_), asio::buffer(tail_), asio::buffer(body_.data(), body_bytes)});
  }

  // A response to a request that could not be parsed; the connection closes after it.
  void SendProblem(int status, std::string_view message) {
    keep_alive_ = false;
    head_ = StatusLine(status);
    body_ = std::string(message) + "\n";
    head_ += fmt::format(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
        "Cache-Control: no-store\r\n",
        body_.size());
    AppendCommonHeaders(head_, {}, server_.default_policy());
    tail_.clear();
    AppendTail();
    std::string line;
    line += peer_.empty() ? "-" : peer_;
    line += " - - ";
    line += LogTime();
    line += fmt::format(" \"-\" {} {} \"-\" \"-\" 0.000000\n", status, body_.size());
    server_.services().access_log.Write(line);
    server_.services().metrics.RecordRequest("invalid", status, 0);
    Write({asio::buffer(head_), asio::buffer(tail_), asio::buffer(body_)});
  }

  void AppendTail() {
    tail_ += DateHeader();
    if (!keep_alive_) {
      tail_ += "Connection: close\r\n";
    } else if (http10_) {
      tail_ += "Connection: keep-alive\r\n";
    }
    tail_ += "\r\n";
  }

  void Log(const bhttp::request<bhttp::string_body>& raw, int status, size_t bytes,
           std::string_view route, Clock::time_point start) {
    const auto took = Clock::now() - start;
    server_.services().metrics.RecordRequest(route, status,
                                             std::chrono::duration<double>(took).count());
    std::string& line = log_line_;
    line.clear();
    const std::string client = ClientIp(raw);
    AppendLogField(line, client);
    line += " - - ";
    line += LogTime();
    line += " \"";
    line += std::string_view(raw.method_string());
    line += ' ';
    AppendLogField(line, raw.target());
    line += raw.version() == 10 ? " HTTP/1.0\" " : " HTTP/1.1\" ";
    AppendNumber(line, static_cast<std::uint64_t>(status));
    line += ' ';
    AppendNumber(line, bytes);
    line += " \"";
    AppendLogField(line, raw[bhttp::field::referer]);
    line += "\" \"";
    AppendLogField(line, raw[bhttp::field::user_agent]);
    line += "\" ";
    AppendSeconds(line, took);
    line += '\n';
    server_.services().access_log.Write(line);
  }

  void Write(std::array<asio::const_buffer, 3> buffers) {
    deadline_ = CoarseNow() + server_.options().write_timeout;
    asio::async_write(
        socket_, buffers,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnWrite(error); });
  }

  void OnWrite(beast::error_code error) {
    cached_.reset();
    if (error) return Close();
    if (!keep_alive_ || server_.stopping()) return LingerAndClose();
    DoRead();
  }

  void Close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  void Cancel() {
    beast::error_code ignored;
    socket_.cancel(ignored);
  }

  // Closing a socket with unread input makes the kernel reset the connection, and the client may
  // then lose the response it has not read yet (a 413 sent before the body arrived, say). So
  // after the last response: stop sending, read and discard until the client closes or a short
  // deadline passes, then close (RFC 9112, section 9.6).
  void LingerAndClose() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    deadline_ = CoarseNow() + std::chrono::seconds(2);
    Discard();
  }

  void Discard() {
    thread_local std::array<char, 4096> sink;  // contents are never looked at
    socket_.async_read_some(asio::buffer(sink),
                            [self = shared_from_this()](beast::error_code error, size_t) {
                              if (error) return self->Close();
                              self->Discard();
                            });
  }

  Socket socket_;
  Worker& worker_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const std::string peer_;
  const bool peer_trusted_;       // the peer is a trusted proxy
  std::string counted_address_;   // whose connection this counts as (ConnectionCounts); or none
  Clock::time_point idle_since_;  // when the wait for the current request began
  Clock::time_point deadline_ = Clock::time_point::max();  // for the I/O under way (Expire)
  size_t fields_before_body_ = 0;  // header fields when the body began (trailers add more)
  bool upload_allowed_ = false;    // this request may send an upload's body
  bool reading_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  std::string head_, tail_, body_, log_line_;
  std::shared_ptr<const CachedPage> cached_;  // kept alive while its bytes are being written
};

// Closes up to `most` of `worker`'s connections that wait for nothing useful: idle keep-alive
// ones first, then those stalled in the middle of a request, the longest-waiting first. Returns
// how many. Runs on the worker's thread.
size_t CloseIdleSessions(Worker& worker, size_t most) {
  const auto now = Clock::now();
  std::vector<std::pair<bool, Session*>> candidates;  // (not idle, session)
  for (Session* session : worker.sessions) {
    if (session->Idle()) {
      candidates.emplace_back(false, session);
    } else if (session->Stalled(now)) {
      candidates.emplace_back(true, session);
    }
  }
  const size_t count = std::min(most, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count),
                    candidates.end(), [](const auto& a, const auto& b) {
                      return std::pair(a.first, a.second->idle_since()) <
                             std::pair(b.first, b.second->idle_since());
                    });
  // Cancelling only queues the read's completion; no session is destroyed inside this loop.
  for (size_t i = 0; i < count; ++i) candidates[i].second->CloseForRoom();
  return count;
}

// Closed at once when the server is full, so that one new connection makes room for a few more.
constexpr size_t kIdleClosedAtOnce = 8;

std::string PeerAddress(const tcp::socket& socket) {
  boost::system::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

}  // namespace

Result<void> Server::Impl::Listen() {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(options_.listen.host, error);
  if (error) {
    return Fail(ErrorCode::kInvalidArgument, "cannot listen on \"" + options_.listen.host + "\"",
                error.message());
  }
  const tcp::endpoint endpoint(address, options_.listen.port);
  const std::string where = fmt::format("{}:{}", options_.listen.host, options_.listen.port);
  acceptor_->open(endpoint.protocol(), error);
  if (!error) acceptor_->set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_->bind(endpoint, error);
  if (error == asio::error::address_in_use) {
    return Fail(ErrorCode::kConflict, where + " is already in use by another program");
  }
  if (error == asio::error::access_denied) {
    return Fail(ErrorCode::kConflict, "not allowed to listen on " + where);
  }
  if (!error) acceptor_->listen(asio::socket_base::max_listen_connections, error);
  if (error) return Fail(ErrorCode::kIo, "cannot listen on " + where, error.message());
  port_ = acceptor_->local_endpoint().port();
  return {};
}

void Server::Impl::Accept() {
  const size_t index = next_worker_;
  next_worker_ = (next_worker_ + 1) % workers_.size();
  // Accepted on the acceptor's own io_context (the first worker's, on whose thread this runs);
  // Admit hands the descriptor on.
  acceptor_->async_accept([this, index](boost::system::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || stopping()) return;
    if (error == asio::error::no_descriptors || error == asio::error::no_buffer_space ||
        error == asio::error::no_memory) {
      // The connection waits in the backlog; make room, then try again shortly.
      for (auto& each : workers_) {
        asio::post(each->ioc, [this, &other = *each] {
          services_.metrics.RecordIdleClosed(CloseIdleSessions(other, kIdleClosedAtOnce));
        });
      }
      accept_pause_->expires_after(kAcceptPause);
      accept_pause_->async_wait([this](boost::system::error_code waited) {
        if (!waited && !stopping()) Accept();
      });
      return;
    }
    if (!error) Admit(index, std::move(socket));
    Accept();
  });
}

void Server::Impl::Admit(size_t worker, tcp::socket accepted) {
  std::string peer = PeerAddress(accepted);
  if (peer.empty()) return;  // gone already
  boost::system::error_code error;
  const tcp protocol = accepted.local_endpoint(error).protocol();
  if (error) return;
  Descriptor descriptor(accepted.release(error));
  if (error) return;
  const bool proxied = options_.trusted_proxies.Contains(peer);
  const bool full =
      connections_.fetch_add(1, std::memory_order_relaxed) >= options_.max_connections;
  asio::post(workers_[worker]->ioc, [this, worker, full,
                                     newcomer = Newcomer{std::move(descriptor), protocol,
                                                         std::move(peer), proxied}]() mutable {
    // A refused socket is closed when it goes out of scope.
    if (stopping()) {
      connections_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    if (!newcomer.proxied &&
        !addresses_.Acquire(newcomer.peer, options_.max_connections_per_address)) {
      connections_.fetch_sub(1, std::memory_order_relaxed);
      services_.metrics.RecordRefusedConnection(true);
      return;
    }
    if (full) return MakeRoom(worker, worker, 0, std::move(newcomer));
    Start(worker, std::move(newcomer), true);
  });
}

void Server::Impl::MakeRoom(size_t home, size_t at, size_t tried, Newcomer newcomer) {
  const size_t closed = CloseIdleSessions(*workers_[at], kIdleClosedAtOnce);
  services_.metrics.RecordIdleClosed(closed);
  if (closed == 0 && tried + 1 < workers_.size()) {
    const size_t next = (at + 1) % workers_.size();
    asio::post(workers_[next]->ioc,
               [this, home, next, tried, newcomer = std::move(newcomer)]() mutable {
                 MakeRoom(home, next, tried + 1, std::move(newcomer));
               });
    return;
  }
  if (at == home) return Start(home, std::move(newcomer), closed > 0);
  // The socket belongs to its home worker's thread: it is started (or closed) there.
  asio::post(workers_[home]->ioc,
             [this, home, room = closed > 0, newcomer = std::move(newcomer)]() mutable {
               Start(home, std::move(newcomer), room);
             });
}

void Server::Impl::Start(size_t home, Newcomer newcomer, bool room) {
  if (!room || stopping()) {
    if (!newcomer.proxied) addresses_.Release(newcomer.peer);
    connections_.fetch_sub(1, std::memory_order_relaxed);
    if (!room) services_.metrics.RecordRefusedConnection(false);
    return;
  }
  Socket socket(workers_[home]->ioc);
  boost::system::error_code error;
  const int fd = newcomer.descriptor.Release();
  socket.assign(newcomer.protocol, fd, error);
  if (error) {
    ::close(fd);
    if (!newcomer.proxied) addresses_.Release(newcomer.peer);
    connections_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  std::make_shared<Session>(std::move(socket), *workers_[home], *this, std::move(newcomer.peer),
                            newcomer.proxied)
      ->Start();
}

void Server::Impl::Sweep(Worker& worker) {
  worker.sweep.expires_after(kDeadlineSweep);
  worker.sweep.async_wait([this, &worker](boost::system::error_code error) {
    if (error) return;
    const auto now = CoarseNow();
    // Cancelling only queues the I/O's completion; no session is destroyed inside this loop.
    for (Session* session : worker.sessions) session->Expire(now);
    if (!stopping() || !worker.sessions.empty()) Sweep(worker);
  });
}

void Server::Impl::Run() {
  for (auto& worker : workers_) {
    worker->guard.emplace(worker->ioc.get_executor());
    Sweep(*worker);
  }
  if (options_.handle_signals) {
    signals_.emplace(workers_[0]->ioc, SIGINT, SIGTERM);
    signals_->async_wait([this](boost::system::error_code error, int signal) {
      if (error) return;
      if (options_.on_drain) options_.on_drain();
      // A second signal while draining or stopping: the operator wants it gone now.
      signals_->async_wait([](boost::system::error_code again, int) {
        if (!again) std::_Exit(1);
      });
      // Ctrl-C (SIGINT) is a person at a terminal, not a balancer's orchestration: no drain.
      if (options_.drain.count() <= 0 || signal == SIGINT) return Stop();
      drain_timer_.emplace(workers_[0]->ioc);
      drain_timer_->expires_after(options_.drain);
      drain_timer_->async_wait([this](boost::system::error_code) { Stop(); });
    });
  }
  Accept();
  std::vector<std::thread> threads;
  for (auto& worker : workers_) {
    threads.emplace_back([this, &worker] {
      worker->ioc.run();
      std::lock_guard lock(finished_mutex_);
      ++finished_threads_;
      finished_changed_.notify_all();
    });
  }
  {
    std::unique_lock lock(finished_mutex_);
    finished_changed_.wait(lock, [this] {
      return stop_requested_ || finished_threads_ == static_cast<int>(workers_.size());
    });
    const bool drained = finished_changed_.wait_for(lock, options_.shutdown_grace, [this] {
      return finished_threads_ == static_cast<int>(workers_.size());
    });
    if (!drained) {
      for (auto& worker : workers_) worker->ioc.stop();
    }
  }
  for (auto& thread : threads) thread.join();
}

void Server::Impl::Stop() {
  if (stopping_.exchange(true)) return;
  asio::post(workers_[0]->ioc, [this] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    accept_pause_->cancel();
    // Stopped during a drain (by Stop from elsewhere): the drain's timer would keep worker 0
    // running until it fired.
    if (drain_timer_) drain_timer_->cancel();
    // From here a signal has its default effect: a second SIGTERM or SIGINT while requests
    // finish ends the process at once.
    if (signals_) {
      signals_->cancel(ignored);
      signals_->clear(ignored);
    }
  });
  for (auto& worker : workers_) {
    asio::post(worker->ioc, [&worker = *worker] {
      // Copy: closing a session may destroy it, which erases it from the set.
      const std::vector<Session*> sessions(worker.sessions.begin(), worker.sessions.end());
      for (Session* session : sessions) {
        if (worker.sessions.count(session) != 0) session->CloseIfIdle();
      }
      worker.guard.reset();
    });
  }
  std::lock_guard lock(finished_mutex_);
  stop_requested_ = true;
  finished_changed_.notify_all();
}

Server::Server(ServerOptions options, ServerServices services)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(services))) {}
Server::~Server() = default;
Result<void> Server::Listen() { return impl_->Listen(); }
std::uint16_t Server::port() const { return impl_->port(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace broadsheet::http

#include "storage/change_listener.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <random>

namespace broadsheet::storage {

namespace {

// How long the thread waits on a quiet connection before looking again (it is woken at once
// to stop; this only bounds the wait should a wake-up ever be missed).
constexpr auto kQuietWait = std::chrono::seconds(10);

int MillisecondsUntil(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

}  // namespace

struct ChangeListener::Connection {
  explicit Connection(PGconn* conn) : conn(conn) {}
  ~Connection() { PQfinish(conn); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  PGconn* conn;
};

std::unique_ptr<ChangeListener> ChangeListener::Start(Options options, Notified notified,
                                                      Reconnected reconnected) {
  auto listener = std::unique_ptr<ChangeListener>(
      new ChangeListener(std::move(options), std::move(notified), std::move(reconnected)));
  auto first = listener->Connect();
  ChangeListener* raw = listener.get();
  listener->thread_ =
      std::thread([raw, first = std::move(first)]() mutable { raw->Run(std::move(first)); });
  return listener;
}

ChangeListener::ChangeListener(Options options, Notified notified, Reconnected reconnected)
    : options_(std::move(options)),
      notified_(std::move(notified)),
      reconnected_(std::move(reconnected)) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
    wake_read_ = fds[0];
    wake_write_ = fds[1];
  }
}

ChangeListener::~ChangeListener() {
  stopping_.store(true);
  if (wake_write_ >= 0) {
    const char byte = 1;
    while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
  }
  if (thread_.joinable()) thread_.join();
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
}

ChangeListener::Wait ChangeListener::WaitFor(int fd, short events,
                                             std::chrono::steady_clock::time_point deadline) const {
  // Without a pipe (pipe2 failed: no file descriptors left) the waits are short, so that
  // stopping is still noticed.
  if (wake_read_ < 0) {
    deadline =
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
  }
  while (true) {
    if (stopping_.load()) return Wait::kWoken;
    pollfd fds[2] = {{wake_read_, POLLIN, 0}, {fd, events, 0}};
    const int ready = ::poll(fds, fd >= 0 ? 2 : 1, MillisecondsUntil(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Wait::kFailed;
    }
    if (stopping_.load() || (fds[0].revents & POLLIN) != 0) return Wait::kWoken;
    if (ready == 0) {
      if (std::chrono::steady_clock::now() >= deadline) return Wait::kTimedOut;
      continue;
    }
    if (fd >= 0 && fds[1].revents != 0) return Wait::kReady;
  }
}

std::unique_ptr<ChangeListener::Connection> ChangeListener::Connect() {
  const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  // The address's own settings win over these (the expanded dbname comes last). Keepalives find
  // a connection whose server or network vanished without closing it.
  const char* keywords[] = {"application_name", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "dbname",          nullptr};
  const char* values[] = {"broadsheet-listen", "10", "5", "3", options_.url.c_str(), nullptr};
  PGconn* conn = PQconnectStartParams(keywords, values, 1);
  if (conn == nullptr) return nullptr;
  auto connection = std::make_unique<Connection>(conn);
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // the FATAL of a shutdown
  if (PQstatus(conn) == CONNECTION_BAD) return nullptr;
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) return nullptr;
    const short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (WaitFor(PQsocket(conn), events, deadline) != Wait::kReady) return nullptr;
    polling = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) return nullptr;
  const std::string listen = "LISTEN " + options_.channel;
  if (PQsendQuery(conn, listen.c_str()) == 0) return nullptr;
  while (true) {
    const int flushed = PQflush(conn);
    if (flushed == 0) break;
    if (flushed < 0) return nullptr;
    if (WaitFor(PQsocket(conn), POLLIN | POLLOUT, deadline) != Wait::kReady) return nullptr;
    if (PQconsumeInput(conn) == 0) return nullptr;
  }
  bool listening = false;
  while (true) {
    while (PQisBusy(conn) != 0) {
      if (WaitFor(PQsocket(conn), POLLIN, deadline) != Wait::kReady) return nullptr;
      if (PQconsumeInput(conn) == 0) return nullptr;
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    listening = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
  }
  if (!listening) return nullptr;
  connections_.fetch_add(1);
  backend_pid_.store(PQbackendPID(conn));
  return connection;
}

bool ChangeListener::Drain(Connection& connection) {
  PGconn* conn = connection.conn;
  if (PQconsumeInput(conn) == 0) return false;
  while (PGnotify* notice = PQnotifies(conn)) {
    const std::string payload = notice->extra != nullptr ? notice->extra : "";
    PQfreemem(notice);
    try {
      notified_(payload);
    } catch (...) {
      // The owner's failure to act on one notice must not end the listening; the poll behind
      // it catches up.
    }
  }
  return PQstatus(conn) == CONNECTION_OK;
}

void ChangeListener::Run(std::unique_ptr<Connection> connection) {
  auto retry = options_.first_retry;
  while (!stopping_.load()) {
    if (!connection) {
      backend_pid_.store(0);
      if (WaitFor(-1, 0, std::chrono::steady_clock::now() + retry) == Wait::kWoken) break;
      connection = Connect();
      if (!connection) {
        retry = std::min(retry * 2, options_.longest_retry);
        continue;
      }
      retry = options_.first_retry;
      try {
        reconnected_();
      } catch (...) {
        // As for a notice: the poll catches up.
      }
    }
    const auto waited =
        WaitFor(PQsocket(connection->conn), POLLIN, std::chrono::steady_clock::now() + kQuietWait);
    if (waited == Wait::kWoken) break;
    if (waited == Wait::kTimedOut) {
      if (PQstatus(connection->conn) != CONNECTION_OK) connection.reset();
      continue;
    }
    if (waited == Wait::kFailed || !Drain(*connection)) connection.reset();
  }
  backend_pid_.store(0);
}

std::string ChangeNotice::Comments(std::int64_t post_id, std::string_view origin) {
  return "comment:" + std::to_string(post_id) + ":" + std::string(origin);
}

std::string ChangeNotice::NewOrigin() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string origin;
  for (int i = 0; i < 16; ++i) origin += "0123456789abcdef"[digit(device)];
  return origin;
}

ChangeNotice ParseChangeNotice(std::string_view payload) {
  constexpr std::string_view kPrefix = "comment:";
  ChangeNotice content;
  if (!payload.starts_with(kPrefix)) return content;
  payload.remove_prefix(kPrefix.size());
  const size_t colon = payload.find(':');
  if (colon == std::string_view::npos) return content;
  const std::string_view digits = payload.substr(0, colon);
  const std::string_view origin = payload.substr(colon + 1);
  // Written as the store writes it: no sign, no leading zero.
  if (digits.empty() || digits.size() > 18 || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), IsDigit))
    return content;
  if (origin.empty() || origin.size() > 32 ||
      !std::all_of(origin.begin(), origin.end(), IsLowerHex))
    return content;
  std::int64_t post_id = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), post_id);
  if (post_id <= 0) return content;
  ChangeNotice notice;
  notice.kind = ChangeNotice::Kind::kComments;
  notice.post_id = post_id;
  notice.origin = std::string(origin);
  return notice;
}

}  // namespace broadsheet::storage

// ChangeListener: a PostgreSQL connection of its own (outside the store's pool) that LISTENs on
// one channel and hands each notification's payload to a callback, so that a write committed by
// another process is known here at once instead of at the next poll.
//
// Its thread waits with poll() on the connection's socket and on a pipe the destructor writes
// to, never in a blocking libpq call (connecting included: PQconnectPoll with a deadline of
// `connect_timeout`; only a host name's lookup can block, as long as the system's resolver
// lets it), so destroying it never waits on the database. When the connection drops (the server
// restarts, an administrator's pg_terminate_backend, a network failure that TCP keepalives
// find) it connects again after 0.1 s, doubling the wait up to 5 s, and once LISTEN is in place
// calls `reconnected`: notifications sent while it was away are lost, and the owner reads again
// whatever they would have told it.
//
// Start connects once before it returns, so a notification committed after Start succeeded is
// delivered; a failed first attempt is retried on the thread like any later one. Callbacks run
// on the listener's thread, one at a time, never after the destructor returns. Not for
// PgBouncer in transaction or statement pooling mode, which does not keep a session's LISTEN.
//
// ChangeNotice is what SqlStore sends on the channel: an empty payload for "the content
// version advanced", or "comment:POST:ORIGIN" for "a comment was published on POST without
// advancing it", ORIGIN naming the process that sent it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace broadsheet::storage {

class ChangeListener {
 public:
  struct Options {
    std::string url;  // libpq's URI or connection string; its own settings win over ours
    std::string channel = "broadsheet_changes";  // a plain identifier
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds first_retry{100};
    std::chrono::milliseconds longest_retry{5000};
  };
  using Notified = std::function<void(std::string_view payload)>;
  using Reconnected = std::function<void()>;

  static std::unique_ptr<ChangeListener> Start(Options options, Notified notified,
                                               Reconnected reconnected);
  ~ChangeListener();
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Whether LISTEN is in place now.
  bool listening() const { return backend_pid_.load() != 0; }
  // The server process of the listening connection (0 while there is none), for tests that end
  // it with pg_terminate_backend.
  int backend_pid() const { return backend_pid_.load(); }
  // Connections made so far (the first included).
  std::uint64_t connections() const { return connections_.load(); }

 private:
  struct Connection;
  enum class Wait { kReady, kWoken, kTimedOut, kFailed };

  ChangeListener(Options options, Notified notified, Reconnected reconnected);
  // A new connection with LISTEN in place, or none (failed, timed out, or woken to stop).
  std::unique_ptr<Connection> Connect();
  // Waits for `events` on `fd` (or any fd < 0: only for the wake pipe) until `deadline`.
  Wait WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) const;
  void Run(std::unique_ptr<Connection> first);
  // Reads what the server sent; false when the connection is gone.
  bool Drain(Connection& connection);

  const Options options_;
  const Notified notified_;
  const Reconnected reconnected_;
  int wake_read_ = -1, wake_write_ = -1;  // the pipe that stops the thread
  std::atomic<bool> stopping_{false};
  std::atomic<int> backend_pid_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::thread thread_;
};

// What a notification on SqlStore's channel says.
struct ChangeNotice {
  enum class Kind { kContent, kComments };
  Kind kind = Kind::kContent;
  std::int64_t post_id = 0;  // kComments: the post whose comment pages changed
  std::string origin;        // kComments: the sending process's ChangeNotice::NewOrigin()
  // The payload of a comment notice.
  static std::string Comments(std::int64_t post_id, std::string_view origin);
  // A random name for this process's notices (16 hexadecimal digits).
  static std::string NewOrigin();
};
// Anything but a well-formed comment notice (a positive post id of at most 18 digits without a
// sign or leading zero, an origin of 1 to 32 lower-case hexadecimal digits) reads as a content
// notice, so that a stray or hostile payload
// costs at most one read of the content version.
ChangeNotice ParseChangeNotice(std::string_view payload);

}  // namespace broadsheet::storage

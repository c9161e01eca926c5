// Comments: what happens to a reader's comment between the form and the page, and what
// moderators do with it afterwards.
//
// A submission is checked (name, e-mail address, text, website, the post and the parent) and
// refused with kInvalidArgument and a message for the reader when something is wrong. Otherwise it
// is stored durably and gets a status and, when not approved, a reason for the moderators.
// Suspicious comments are kept, not refused. Spam: the honeypot field is filled, the same address
// already left the same text on the post, a word from the spam list appears, the form was sent
// sooner than `min_form_seconds` after its token was issued, or the spam filter is sure. Held for
// a moderator: a word from the hold list appears, the form token is missing, forged or older than
// `max_form_hours`, more than `max_links` links, more than `rate_limit` comments from the
// address or client in `rate_window` seconds, or the spam filter is suspicious. Otherwise the
// moderation mode decides: hold all, hold first (held until the address has one approved
// comment), or hold none. Signed-in staff skip all of it: their comments are approved and marked.
//
// Floods are refused, not held: past FloodLimits (per client address, counted by the RateLimiter
// given, which the server keeps in the database so every node counts together) a submission is
// refused with kRateLimited before anything else is read or stored, and FloodWait says how long
// the client should wait. Holding stays for what a person might send; refusing is for what no
// person types (a client posting several comments a minute).
//
// The spam filter is a naive Bayesian one (Robinson's word probabilities combined with Fisher's
// method) taught by moderators: approving a comment teaches "not spam", marking it as spam
// teaches "spam", and changing one's mind takes the earlier lesson back. It acts once it has been
// taught at least kMinLessons of each.
//
// Text: a Markdown subset rendered in safe mode. Raw HTML a reader types is shown as the literal
// text they typed; links get rel="nofollow ugc noopener" and only http, https and mailto survive.
//
// Borrows the Store. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/rate_limit.h"
#include "storage/store.h"

namespace broadsheet::comments {

enum class Moderation { kHoldAll, kHoldFirst, kHoldNone };

struct Submission {
  std::string name;
  std::string email;
  std::string website;
  std::string body;
  std::string parent;      // a comment id, "0" or empty for a top-level comment
  std::string honeypot;    // a field people never see or fill
  std::string form_token;  // from FormToken, fetched by the page's script
  std::string client_ip;
  std::optional<User> staff;  // signed-in staff: their name and address are used
};

struct Outcome {
  std::int64_t id = 0;
  CommentStatus status = CommentStatus::kPending;
  std::string reason;  // why it was not approved at once
  Comment comment;     // as stored (Submit only)
};

inline constexpr size_t kMaxBodyBytes = 10000;
inline constexpr int kMinLessons = 5;
inline constexpr double kSpamScore = 0.9;     // at or above: spam
inline constexpr double kSuspectScore = 0.6;  // at or above: held

// The safe HTML for a reader's text.
Result<std::string> RenderBody(std::string_view text);

// The words the spam filter weighs in a comment: lower-cased words of its text and name, and
// the hosts of its links, website and e-mail address.
std::vector<std::string> SpamWords(const Comment& comment);
// Spam probability in [0, 1] from what the filter learned; 0.5 when it knows nothing.
double SpamScore(const SpamCounts& counts, const std::vector<std::string>& words);

struct Rules {
  Moderation moderation = Moderation::kHoldFirst;
  int max_links = 2;
  int rate_limit = 10;  // comments per address and per client in rate_window; 0: no limit
  int rate_window = 600;
  int close_after_days = 0;  // 0: comments never close by age
  int thread_depth = 3;
  int min_form_seconds = 3;
  int max_form_hours = 48;
  int client_retention_days = 30;
  bool notify_authors = true;
  bool notify_moderators = true;
  std::vector<std::string> hold_words;  // lower case; matched in any field
  std::vector<std::string> spam_words;
};

// The numeric rules the desk's settings page offers, with their keys and bounds.
struct NumberSetting {
  const char* key;
  const char* label;
  int Rules::*field;
  int min;
  int max;
};
inline constexpr NumberSetting kNumberSettings[] = {
    {"comments_close_after_days", "Close comments this many days after publication (0: never)",
     &Rules::close_after_days, 0, 3650},
    {"comments_thread_depth", "Nest replies this many levels deep, then continue flat",
     &Rules::thread_depth, 1, 10},
    {"comments_rate_limit",
     "Hold comments beyond this many per address or e-mail in ten minutes (0: no limit)",
     &Rules::rate_limit, 0, 10000},
    {"comments_max_links", "Hold comments with more links than this", &Rules::max_links, 0, 100},
    {"comments_min_form_seconds",
     "Mark as spam comments sent sooner than this many seconds after the page opened",
     &Rules::min_form_seconds, 0, 600},
    {"comments_max_form_hours",
     "Hold comments sent more than this many hours after the page opened", &Rules::max_form_hours,
     1, 24 * 365},
    {"comments_client_retention_days",
     "Forget the (hashed) client address of comments after this many days",
     &Rules::client_retention_days, 1, 3650},
};

// How many comments one client (Request::client_ip) may send before it is refused; 0: no limit.
// A person writing takes longer than a minute for each comment; a quick exchange of short replies
// fits in the burst. Server settings ([comments] in broadsheet.toml), not desk settings: they
// protect the server.
struct FloodLimits {
  int per_minute = 5;
  int per_hour = 30;
};

class Comments {
 public:
  explicit Comments(Store& store, Rules defaults = {}) : store_(store), defaults_(defaults) {}

  // The rules in force: the desk's settings over the defaults given at construction.
  Result<Rules> CurrentRules() const;
  // Whether `post` takes comments at `now`: open, and not past the automatic closing age.
  static bool Open(const Post& post, const Rules& rules, Timestamp now);
  // The page (from 1) of a comment section, `per_page` threads a page, that shows the thread
  // with `threads_before` threads before it. Out-of-range input gives page 1.
  static int PageOf(int threads_before, int per_page);

  // A signed token for the comment form of `post`, issued at `now`.
  Result<std::string> FormToken(std::int64_t post_id, Timestamp now) const;

  // kRateLimited (nothing stored) past the flood limits; kInvalidArgument with a message for the
  // reader; a failed save (kStorageFull, kBusy when the database stayed locked) with a sentence for
  // the reader.
  Result<Outcome> Submit(const Post& post, const Submission& submission, Timestamp now) const;

  // Refuses floods from now on, counted by `limiter` (borrowed; no limits until set). Call
  // before serving.
  void SetFloodLimits(const FloodLimits& limits, RateLimiter& limiter);
  // The seconds `client_ip` should wait before its next comment is taken (0: now, or when the
  // limiter cannot say).
  Timestamp FloodWait(const std::string& client_ip, Timestamp now) const;

  // Moves comments to `status`, teaching the spam filter from approvals and spam; returns how
  // many existed.
  Result<int> Moderate(const std::vector<std::int64_t>& ids, CommentStatus status) const;
  // A moderator's correction of name, address, website and text, checked like a submission.
  Result<void> Edit(std::int64_t id, const Submission& changes) const;
  // Staff's reply to `parent_id` from the moderation queue: approved and marked as staff, and
  // the comment replied to is approved with it (answering it is a decision to publish it).
  Result<Outcome> Reply(std::int64_t parent_id, const User& staff, const std::string& body,
                        Timestamp now) const;
  // The spam filter's view of a stored comment.
  Result<double> Score(const Comment& comment) const;
  // Forgets client hashes past the retention period; returns how many.
  Result<int> ForgetOldClients(Timestamp now) const;

  // When set, a new approved comment leaves the content version alone and this is called after
  // it is stored, to evict just the pages it changes from this process's cache.
  void SetPagesChanged(std::function<void(const Post&)> evict) {
    pages_changed_ = std::move(evict);
  }

 private:
  Result<Comment> Checked(const Post& post, const Submission& submission) const;

  Store& store_;
  Rules defaults_;
  std::function<void(const Post&)> pages_changed_;
  // Comments per client in a minute and in an hour (a limit of 0: none); null: no limits.
  FloodLimits flood_limits_;
  RateLimiter* limiter_ = nullptr;
};

}  // namespace broadsheet::comments

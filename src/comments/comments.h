// Comments: what happens to a reader's comment between the form and the page.
//
// A submission is checked (name, e-mail address, text, website, the post and the parent) and
// refused with kInvalidArgument and a message for the reader when something is wrong. Otherwise it
// is stored durably and gets a status. Suspicious comments are kept, not refused: spam when the
// honeypot field is filled or the same address already left the same text on the post; held for a
// moderator when it has more than `max_links` links or its address or client sent more than
// `rate_limit` comments in `rate_window` seconds. Otherwise the moderation mode decides — hold all,
// hold first (default: held until the address has one approved comment), or hold none. Staff
// comments are approved.
//
// Text: a Markdown subset rendered in safe mode. Raw HTML a reader types is shown as the literal
// text they typed; links get rel="nofollow ugc noopener" and only http, https and mailto survive.
//
// Borrows the Store. Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "storage/store.h"

namespace broadsheet::comments {

enum class Moderation { kHoldAll, kHoldFirst, kHoldNone };

struct Submission {
  std::string name;
  std::string email;
  std::string website;
  std::string body;
  std::string parent;    // a comment id, "0" or empty for a top-level comment
  std::string honeypot;  // a field people never see or fill
  std::string client_ip;
  std::optional<std::int64_t> staff_user_id;  // set when signed-in staff comment
};

struct Outcome {
  std::int64_t id = 0;
  CommentStatus status = CommentStatus::kPending;
};

inline constexpr size_t kMaxBodyBytes = 10000;

// The safe HTML for a reader's text.
Result<std::string> RenderBody(std::string_view text);

class Comments {
 public:
  struct Rules {
    Moderation moderation = Moderation::kHoldFirst;
    int max_links = 2;
    int rate_limit = 10;
    Timestamp rate_window = 600;
    int close_after_days = 0;  // 0: comments never close by age
  };
  explicit Comments(Store& store, Moderation moderation = Moderation::kHoldFirst) : store_(store) {
    rules_.moderation = moderation;
  }
  Comments(Store& store, Rules rules) : store_(store), rules_(rules) {}

  Result<Outcome> Submit(const Post& post, const Submission& submission, Timestamp now) const;

  // The desk's settings ("comment_moderation": hold-all|hold-first|hold-none,
  // "comments_close_after_days": 0 for never) over the rules given at construction.
  Result<Rules> CurrentRules() const;
  // Whether `post` takes comments at `now`: open, and not past the automatic closing age.
  static bool Open(const Post& post, const Rules& rules, Timestamp now);

 private:
  Store& store_;
  Rules rules_;
};

}  // namespace broadsheet::comments

#include "comments/comments.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "auth/accounts.h"
#include "auth/crypto.h"
#include "auth/signed_token.h"
#include "core/text.h"
#include "markdown/markdown.h"

namespace broadsheet::comments {
namespace {

// The reader's text with '&', '<' and '>' as entities, so raw HTML shows as what was typed.
std::string EscapeMarkup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

bool SafeLink(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:");
}

int ParseInt(std::string_view text, int fallback) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : fallback;
}

// One lower-cased entry per line, blank lines dropped.
std::vector<std::string> WordList(std::string_view text) {
  std::vector<std::string> words;
  for (const std::string& line : SplitTrimmed(text, '\n')) words.push_back(LowerAscii(line));
  return words;
}

// The first entry of `words` found in any of the comment's fields, or nullopt.
std::optional<std::string> FindListed(const std::vector<std::string>& words, const Comment& comment,
                                      const std::string& client_ip) {
  if (words.empty()) return std::nullopt;
  const std::string fields =
      LowerAscii(comment.author_name + "\n" + comment.author_email + "\n" + comment.author_url +
                 "\n" + comment.body_markdown + "\n" + client_ip);
  for (const std::string& word : words) {
    if (fields.find(word) != std::string::npos) return word;
  }
  return std::nullopt;
}

// A failed save, told to the reader in a sentence when it is one they can act on: the disk is
// full, or the database stayed busy (another process's long write) past its timeout.
tl::unexpected<Error> StorageFailure(Error error) {
  if (error.code == ErrorCode::kStorageFull) {
    error.message =
        "Your comment could not be saved: the server has run out of storage space. Your text is "
        "kept below; please try again later.";
  } else if (error.code == ErrorCode::kBusy || error.code == ErrorCode::kUnavailable) {
    error.message =
        "Your comment could not be saved because the server is busy. Your text is kept below; "
        "please send it again in a moment.";
  }
  return tl::unexpected(std::move(error));
}

int CountLinks(std::string_view html) {
  int links = 0;
  for (size_t at = html.find("<a "); at != std::string_view::npos; at = html.find("<a ", at + 3))
    ++links;
  return links;
}

}  // namespace

Result<std::string> RenderBody(std::string_view text) {
  markdown::Options options;
  options.allow_html = false;
  options.rewrite_url = [](std::string_view url, bool is_image) -> std::string {
    if (is_image || !SafeLink(url)) return "";  // readers' images and other schemes are dropped
    return std::string(url);
  };
  auto html = markdown::ToHtml(EscapeMarkup(text), options);
  if (!html) return html;
  // Raw HTML is escaped above, so every anchor here is one the Markdown renderer made.
  std::string out;
  size_t position = 0, found;
  while ((found = html->find("<a href=\"", position)) != std::string::npos) {
    out.append(*html, position, found - position);
    out += "<a rel=\"nofollow ugc noopener\" href=\"";
    position = found + 9;
  }
  out.append(*html, position);
  // An image with its address removed would be an empty <img>: show its text instead.
  size_t image;
  while ((image = out.find("<img src=\"\"")) != std::string::npos) {
    const auto end = out.find("/>", image);
    const auto alt_at = out.find("alt=\"", image);
    std::string alt = alt_at != std::string::npos && alt_at < end
                          ? out.substr(alt_at + 5, out.find('"', alt_at + 5) - alt_at - 5)
                          : "";
    out.replace(image, end == std::string::npos ? out.size() - image : end + 2 - image, alt);
  }
  return out;
}

Result<Rules> Comments::CurrentRules() const {
  Rules rules = defaults_;
  auto settings = store_.DeskSettings("comment");
  if (!settings) return tl::unexpected(settings.error());
  auto setting = [&](const std::string& key) -> const std::string* {
    auto found = settings->find(key);
    return found == settings->end() ? nullptr : &found->second;
  };
  if (const std::string* mode = setting("comment_moderation")) {
    if (*mode == "hold-all") rules.moderation = Moderation::kHoldAll;
    if (*mode == "hold-first") rules.moderation = Moderation::kHoldFirst;
    if (*mode == "hold-none") rules.moderation = Moderation::kHoldNone;
  }
  for (const NumberSetting& number : kNumberSettings) {
    if (const std::string* value = setting(number.key)) {
      rules.*number.field =
          std::clamp(ParseInt(*value, rules.*number.field), number.min, number.max);
    }
  }
  for (auto [key, field] : {std::pair{"comments_notify_authors", &Rules::notify_authors},
                            std::pair{"comments_notify_moderators", &Rules::notify_moderators}}) {
    if (const std::string* value = setting(key)) rules.*field = *value == "1";
  }
  for (auto [key, field] : {std::pair{"comments_hold_words", &Rules::hold_words},
                            std::pair{"comments_spam_words", &Rules::spam_words}}) {
    if (const std::string* value = setting(key)) rules.*field = WordList(*value);
  }
  return rules;
}

int Comments::PageOf(int threads_before, int per_page) {
  if (threads_before <= 0 || per_page <= 0) return 1;
  return std::min(threads_before / per_page, std::numeric_limits<int>::max() - 1) + 1;
}

bool Comments::Open(const Post& post, const Rules& rules, Timestamp now) {
  if (post.status != PostStatus::kPublished || !post.comments_open) return false;
  if (rules.close_after_days <= 0 || !post.published_at) return true;
  return now < *post.published_at + static_cast<Timestamp>(rules.close_after_days) * 86400;
}

Result<std::string> Comments::FormToken(std::int64_t post_id, Timestamp now) const {
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return key;
  return auth::TokenSigner(std::move(*key))
      .Issue("form", std::to_string(post_id), {std::to_string(now)});
}

Result<Comment> Comments::Checked(const Post& post, const Submission& submission) const {
  const std::string name(Trim(submission.name));
  const std::string email(Trim(submission.email));
  const std::string body(Trim(submission.body));
  for (const std::string* text : {&name, &email, &body, &submission.website}) {
    if (!IsValidUtf8(*text))
      return Fail(ErrorCode::kInvalidArgument, "The comment contains text that is not valid.");
  }
  if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "Please give your name.");
  if (name.size() > 100)
    return Fail(ErrorCode::kInvalidArgument, "Your name is longer than 100 characters.");
  if (auto checked = auth::CheckEmail(email); !checked) {
    return Fail(ErrorCode::kInvalidArgument,
                "Please give a valid e-mail address; it is never published.");
  }
  if (body.empty()) return Fail(ErrorCode::kInvalidArgument, "The comment is empty.");
  if (body.size() > kMaxBodyBytes) {
    return Fail(ErrorCode::kInvalidArgument, "The comment is longer than 10,000 characters.");
  }
  std::string website(Trim(submission.website));
  if (!(website.starts_with("http://") || website.starts_with("https://")) ||
      website.size() > 200 || website.find_first_of(" \"<>") != std::string::npos) {
    website.clear();  // a javascript:, data: or malformed address is dropped; the comment stays
  }
  Comment comment;
  comment.post_id = post.id;
  if (!submission.parent.empty() && submission.parent != "0") {
    const std::int64_t parent_id = ParseInt(submission.parent, 0);
    auto parent = parent_id > 0 ? store_.FindComment(parent_id)
                                : Result<std::optional<Comment>>(std::nullopt);
    if (!parent) return tl::unexpected(parent.error());
    if (!*parent || (*parent)->post_id != post.id ||
        (*parent)->status != CommentStatus::kApproved) {
      return Fail(ErrorCode::kInvalidArgument,
                  "The comment you are replying to is not on this article.");
    }
    comment.parent_id = parent_id;
  }
  auto html = RenderBody(body);
  if (!html) return Fail(ErrorCode::kInvalidArgument, "The comment could not be read.");
  comment.author_name = name;
  comment.author_email = email;
  comment.author_url = website;
  comment.body_markdown = body;
  comment.body_html = std::move(*html);
  return comment;
}

namespace {

// The two flood limits, each by the client's address (its /64 for IPv6).
std::vector<RateLimit> FloodRates(const FloodLimits& limits) {
  std::vector<RateLimit> rates;
  if (limits.per_minute > 0) rates.push_back({"comment-minute", limits.per_minute, 60});
  if (limits.per_hour > 0) rates.push_back({"comment-hour", limits.per_hour, 3600});
  return rates;
}

}  // namespace

void Comments::SetFloodLimits(const FloodLimits& limits, RateLimiter& limiter) {
  flood_limits_ = limits;
  limiter_ = &limiter;
}

Timestamp Comments::FloodWait(const std::string& client_ip, Timestamp now) const {
  Timestamp wait = 0;
  if (!limiter_) return wait;
  for (const RateLimit& rate : FloodRates(flood_limits_)) {
    if (auto until = limiter_->Until(rate, {ClientKey(client_ip)}, now))
      wait = std::max(wait, *until);
  }
  return wait;
}

Result<Outcome> Comments::Submit(const Post& post, const Submission& submission,
                                 Timestamp now) const {
  // First, before anything else is read or written: a flood costs the server one small write. A
  // limit the limiter cannot count (the database busy) lets the comment through to its own
  // save, which waits for the database as long as any save does.
  if (!submission.staff && limiter_) {
    for (const RateLimit& rate : FloodRates(flood_limits_)) {
      auto wait = limiter_->Take(rate, {ClientKey(submission.client_ip)}, now);
      if (wait && *wait > 0) {
        return Fail(ErrorCode::kRateLimited,
                    "You have sent several comments in a short time. Please wait a little, then "
                    "send this one again: your text is kept below.");
      }
    }
  }
  auto current = CurrentRules();
  if (!current) return tl::unexpected(current.error());
  const Rules& rules = *current;
  if (!Open(post, rules, now)) {
    return Fail(ErrorCode::kInvalidArgument, "Comments on this article are closed.");
  }
  Submission from = submission;
  if (submission.staff) {  // staff comment under their own name and address
    from.name = submission.staff->name;
    from.email = submission.staff->email;
  }
  auto checked = Checked(post, from);
  if (!checked) return tl::unexpected(checked.error());
  Comment& comment = *checked;
  comment.created_at = now;
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return StorageFailure(key.error());
  comment.client_hash = auth::Sign(*key, "client:" + submission.client_ip);

  // Each test names what it found; the first that applies decides.
  auto status = [&]() -> Result<std::pair<CommentStatus, std::string>> {
    using Decision = std::pair<CommentStatus, std::string>;
    if (submission.staff) {
      comment.user_id = submission.staff->id;
      return Decision{CommentStatus::kApproved, ""};
    }
    if (!submission.honeypot.empty())
      return Decision{CommentStatus::kSpam, "The hidden field people never see was filled in."};
    auto duplicate =
        store_.HasDuplicateComment(post.id, comment.author_email, comment.body_markdown);
    if (!duplicate) return tl::unexpected(duplicate.error());
    if (*duplicate)
      return Decision{CommentStatus::kSpam, "The same address already left this text here."};
    if (auto word = FindListed(rules.spam_words, comment, submission.client_ip))
      return Decision{CommentStatus::kSpam,
                      "Contains \u201c" + *word + "\u201d from the spam list."};
    // The token: "ISSUED.SIGNATURE", issued when the page's script asked for it.
    std::optional<Timestamp> issued;
    if (const auto fields = auth::TokenSigner(*key).Verify("form", std::to_string(post.id),
                                                           submission.form_token, 1)) {
      if (const Timestamp when = ParseInt((*fields)[0], -1); when >= 0) issued = when;
    }
    if (issued && now - *issued < rules.min_form_seconds) {
      return Decision{CommentStatus::kSpam,
                      fmt::format("Sent {} s after the page opened; people take at least {} s.",
                                  std::max<Timestamp>(0, now - *issued), rules.min_form_seconds)};
    }
    // The words are looked up only once the filter has been taught enough to use them.
    auto learned = store_.CountSpamWords({});
    if (!learned) return tl::unexpected(learned.error());
    double score = 0.5;
    if (learned->spam_comments >= kMinLessons && learned->ham_comments >= kMinLessons) {
      const auto words = SpamWords(comment);
      learned = store_.CountSpamWords(words);
      if (!learned) return tl::unexpected(learned.error());
      score = SpamScore(*learned, words);
    }
    if (score >= kSpamScore)
      return Decision{CommentStatus::kSpam,
                      fmt::format("The spam filter scores it {:.2f}.", score)};
    if (auto word = FindListed(rules.hold_words, comment, submission.client_ip))
      return Decision{CommentStatus::kPending,
                      "Contains \u201c" + *word + "\u201d from the hold list."};
    if (!issued)
      return Decision{CommentStatus::kPending,
                      "Sent without a valid form token (the page's script did not run)."};
    if (now - *issued > static_cast<Timestamp>(rules.max_form_hours) * 3600)
      return Decision{CommentStatus::kPending, "Sent long after the page was opened."};
    if (const int links = CountLinks(comment.body_html); links > rules.max_links)
      return Decision{CommentStatus::kPending, fmt::format("Has {} links.", links)};
    if (rules.rate_limit > 0) {
      auto recent = store_.CountRecentComments(comment.author_email, comment.client_hash,
                                               now - rules.rate_window);
      if (!recent) return tl::unexpected(recent.error());
      if (*recent >= rules.rate_limit)
        return Decision{CommentStatus::kPending,
                        "Many comments from this address in a short time."};
    }
    if (score >= kSuspectScore)
      return Decision{CommentStatus::kPending,
                      fmt::format("The spam filter scores it {:.2f}.", score)};
    if (rules.moderation == Moderation::kHoldNone) return Decision{CommentStatus::kApproved, ""};
    if (rules.moderation == Moderation::kHoldAll)
      return Decision{CommentStatus::kPending, "Every comment is held for a moderator."};
    auto approved = store_.HasApprovedCommentFrom(comment.author_email);
    if (!approved) return tl::unexpected(approved.error());
    if (*approved) return Decision{CommentStatus::kApproved, ""};
    return Decision{CommentStatus::kPending, "A first comment from this address."};
  }();
  if (!status) return StorageFailure(status.error());
  comment.status = status->first;
  comment.reason = status->second;
  auto id = store_.CreateComment(comment);
  if (!id) return StorageFailure(id.error());
  // A published comment changes its article and the lists that count comments: this server
  // evicts just those pages when it can, else every cache drops everything.
  if (comment.status == CommentStatus::kApproved) {
    if (pages_changed_) {
      pages_changed_(post);
    } else {
      store_.NoteContentChanged();
    }
  }
  comment.id = *id;
  return Outcome{*id, comment.status, comment.reason, std::move(comment)};
}

Result<int> Comments::Moderate(const std::vector<std::int64_t>& ids, CommentStatus status) const {
  int changed = 0;
  auto done = store_.InTransaction([&]() -> Result<void> {
    for (std::int64_t id : ids) {
      auto comment = store_.FindComment(id);
      if (!comment) return tl::unexpected(comment.error());
      if (!*comment) continue;
      if (auto set = store_.SetCommentStatus(id, status); !set) return set;
      if (status == CommentStatus::kApproved || status == CommentStatus::kSpam) {
        auto learned =
            store_.LearnComment(id, status == CommentStatus::kSpam, SpamWords(**comment));
        if (!learned) return learned;
      }
      ++changed;
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return changed;
}

Result<void> Comments::Edit(std::int64_t id, const Submission& changes) const {
  auto stored = store_.FindComment(id);
  if (!stored) return tl::unexpected(stored.error());
  if (!*stored) return Fail(ErrorCode::kNotFound, "There is no such comment.");
  Post post;
  post.id = (*stored)->post_id;
  Submission edit = changes;
  edit.parent.clear();  // the place in the thread stays
  auto checked = Checked(post, edit);
  if (!checked) return tl::unexpected(checked.error());
  checked->id = id;
  return store_.UpdateComment(*checked);
}

Result<Outcome> Comments::Reply(std::int64_t parent_id, const User& staff, const std::string& body,
                                Timestamp now) const {
  auto parent = store_.FindComment(parent_id);
  if (!parent) return tl::unexpected(parent.error());
  if (!*parent) return Fail(ErrorCode::kNotFound, "There is no such comment.");
  Submission reply;
  reply.name = staff.name;
  reply.email = staff.email;
  reply.body = body;
  Post post;
  post.id = (*parent)->post_id;
  auto checked = Checked(post, reply);
  if (!checked) return tl::unexpected(checked.error());
  checked->parent_id = parent_id;
  checked->user_id = staff.id;
  checked->status = CommentStatus::kApproved;
  checked->created_at = now;
  std::int64_t id = 0;
  auto done = store_.InTransaction([&]() -> Result<void> {
    if ((*parent)->status != CommentStatus::kApproved) {
      auto approved = Moderate({parent_id}, CommentStatus::kApproved);
      if (!approved) return tl::unexpected(approved.error());
    }
    auto created = store_.CreateComment(*checked);
    if (!created) return tl::unexpected(created.error());
    store_.NoteContentChanged();  // after the transaction commits
    id = *created;
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  checked->id = id;
  return Outcome{id, CommentStatus::kApproved, "", std::move(*checked)};
}

Result<double> Comments::Score(const Comment& comment) const {
  const auto words = SpamWords(comment);
  auto learned = store_.CountSpamWords(words);
  if (!learned) return tl::unexpected(learned.error());
  return SpamScore(*learned, words);
}

Result<int> Comments::ForgetOldClients(Timestamp now) const {
  auto rules = CurrentRules();
  if (!rules) return tl::unexpected(rules.error());
  return store_.ForgetCommentClients(now -
                                     static_cast<Timestamp>(rules->client_retention_days) * 86400);
}

}  // namespace broadsheet::comments

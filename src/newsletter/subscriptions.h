// Subscriptions: how a reader joins, confirms, chooses sections and leaves the newsletter, and
// how the desk imports and exports the list.
//
// Double opt-in: Subscribe records a pending subscriber and mails a confirmation link, signed and
// valid for kConfirmLifetime; Confirm makes the subscriber active (the consent date is kept) and
// mails a welcome with the reader's own manage link. The caller answers every signup the same
// way, so nobody learns whether an address is subscribed: an active subscriber is mailed a
// reminder of their manage link instead, an address that complained is left alone.
//
// Manage links (ManageToken) do not expire: an unsubscribe link in an old issue must keep
// working. Tokens are keyed with the site's "newsletter-key" secret; nothing about them is
// stored.
//
// Signups are limited per address and per client (kMaxSignupsPerHour, counted by the
// RateLimiter given).
//
// Borrows the Store, the Outbox and the RateLimiter. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/rate_limit.h"
#include "mail/outbox.h"
#include "storage/store.h"

namespace broadsheet::newsletter {

inline constexpr Timestamp kConfirmLifetime = 7 * 86400;

// The site's key for newsletter links (made the first time it is asked for).
Result<std::string> NewsletterKey(Store& store);
// The token of subscriber `id`'s manage link (/newsletter/unsubscribe/TOKEN), signed with `key`.
std::string ManageLinkToken(std::string_view key, std::int64_t id);
inline constexpr int kMaxSignupsPerHour = 5;  // per address and per client

struct Signup {
  std::string email;
  bool everything = true;             // false: only `sections` (if none, everything after all)
  std::vector<std::string> sections;  // section slugs
  std::string client_ip;
};

struct ImportReport {
  int added = 0;
  int updated = 0;
  std::vector<std::string> skipped;  // "line 4: …"
};

class Subscriptions {
 public:
  Subscriptions(Store& store, mail::Outbox& outbox, RateLimiter& limiter)
      : store_(store), outbox_(outbox), limiter_(limiter) {}

  // kInvalidArgument for a malformed address, kRateLimited when asked too often, kUnavailable
  // when this site cannot send mail (nothing is stored then).
  Result<void> Subscribe(const Signup& signup, const Publication& publication, Timestamp now);
  // The subscriber a confirmation link makes active (and welcomes); nullopt for an invalid or
  // expired link, or one whose subscriber has since left.
  Result<std::optional<Subscriber>> Confirm(const std::string& token,
                                            const Publication& publication, Timestamp now);
  // The subscriber a manage link is for.
  Result<std::optional<Subscriber>> FromManageToken(const std::string& token) const;
  Result<Subscriber> Unsubscribe(Subscriber subscriber, Timestamp now) const;
  // Follows `sections` only, or everything (also when no known section is given).
  Result<Subscriber> ChooseSections(Subscriber subscriber, bool everything,
                                    const std::vector<std::string>& sections) const;

  Result<std::string> ConfirmToken(std::int64_t id, Timestamp now) const;
  Result<std::string> ManageToken(std::int64_t id) const;

  // Every subscriber as CSV (header: email,status,everything,sections,created_at,consented_at,
  // consent_source,unsubscribed_at; times in ISO 8601 UTC; sections separated by spaces).
  Result<std::string> ExportCsv() const;
  // Adds or updates subscribers from CSV with a header row naming at least "email". An active
  // subscriber needs a consent date ("consented_at"); rows without one, or with a bad address,
  // are skipped and reported. "sections" lists slugs separated by spaces ("everything": 1 also
  // sends the rest). "status" defaults to active; unsubscribed, bounced and complained
  // rows are kept as such, so nobody who left is mailed again. One transaction: a malformed file
  // changes nothing.
  Result<ImportReport> ImportCsv(std::string_view csv, Timestamp now) const;

 private:
  Result<std::string> Key() const;
  // Section slugs that exist, in the order given.
  Result<std::vector<std::string>> KnownSections(const std::vector<std::string>& slugs) const;
  Result<void> Mail(const std::string& to, std::string subject, std::string text) const;

  Store& store_;
  mail::Outbox& outbox_;
  RateLimiter& limiter_;  // signups by address and by client
};

}  // namespace broadsheet::newsletter

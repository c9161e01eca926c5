#include "newsletter/subscriptions.h"

#include <csv.h>

#include <charconv>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/accounts.h"
#include "auth/crypto.h"
#include "auth/signed_token.h"
#include "core/text.h"

namespace broadsheet::newsletter {
namespace {

std::int64_t ParseId(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

// One CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break.
std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string IsoOrEmpty(const std::optional<Timestamp>& when) {
  return when ? FormatIsoTime(*when, TimeZone()) : "";
}

// Rows of CSV text, parsed by libcsv in strict mode.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  struct Rows {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
  } rows;
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0)
    return Fail(ErrorCode::kInternal, "could not start the CSV parser");
  auto on_field = [](void* field, size_t size, void* data) {
    static_cast<Rows*>(data)->row.emplace_back(field ? static_cast<const char*>(field) : "",
                                               field ? size : 0);
  };
  auto on_row = [](int, void* data) {
    auto* rows = static_cast<Rows*>(data);
    rows->rows.push_back(std::move(rows->row));
    rows->row.clear();
  };
  const size_t parsed = csv_parse(&parser, text.data(), text.size(), on_field, on_row, &rows);
  const bool failed = parsed != text.size() || csv_fini(&parser, on_field, on_row, &rows) != 0;
  const std::string why = failed ? csv_strerror(csv_error(&parser)) : "";
  csv_free(&parser);
  if (failed) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("The CSV file is malformed after line {}: {}.", rows.rows.size(), why));
  }
  return std::move(rows.rows);
}

}  // namespace

Result<std::string> Subscriptions::Key() const { return NewsletterKey(store_); }

Result<std::string> Subscriptions::ConfirmToken(std::int64_t id, Timestamp now) const {
  auto key = Key();
  if (!key) return key;
  return auth::TokenSigner(std::move(*key))
      .Issue("confirm", "", {std::to_string(id), std::to_string(now + kConfirmLifetime)});
}

Result<std::string> NewsletterKey(Store& store) {
  return store.Secret("newsletter-key", [] { return auth::RandomToken(); });
}

std::string ManageLinkToken(std::string_view key, std::int64_t id) {
  return auth::TokenSigner(std::string(key)).Issue("manage", "", {std::to_string(id)});
}

Result<std::string> Subscriptions::ManageToken(std::int64_t id) const {
  auto key = Key();
  if (!key) return key;
  return ManageLinkToken(*key, id);
}

Result<std::optional<Subscriber>> Subscriptions::FromManageToken(const std::string& token) const {
  auto key = Key();
  if (!key) return tl::unexpected(key.error());
  const auto fields = auth::TokenSigner(std::move(*key)).Verify("manage", "", token, 1);
  if (!fields) return std::optional<Subscriber>();
  return store_.FindSubscriber(ParseId((*fields)[0]));
}

Result<std::vector<std::string>> Subscriptions::KnownSections(
    const std::vector<std::string>& slugs) const {
  auto sections = store_.ListSections();
  if (!sections) return tl::unexpected(sections.error());
  std::vector<std::string> known;
  for (const std::string& slug : slugs) {
    for (const Section& section : *sections) {
      if (section.slug == slug && std::find(known.begin(), known.end(), slug) == known.end())
        known.push_back(slug);
    }
  }
  return known;
}

Result<void> Subscriptions::Mail(const std::string& to, std::string subject,
                                 std::string text) const {
  mail::Message message;
  message.to = to;
  message.subject = std::move(subject);
  message.text = std::move(text);
  return outbox_.Queue(message);
}

Result<void> Subscriptions::Subscribe(const Signup& signup, const Publication& publication,
                                      Timestamp now) {
  const std::string email(Trim(signup.email));
  if (!auth::CheckEmail(email)) {
    return Fail(ErrorCode::kInvalidArgument, "Please give a valid e-mail address.");
  }
  if (!outbox_.configured()) {
    return Fail(ErrorCode::kUnavailable,
                "This site cannot send e-mail yet, so newsletter signup is closed.");
  }
  auto wait =
      limiter_.Take({"newsletter-signup", kMaxSignupsPerHour, 3600},
                    {"mail:" + LowerAscii(email), "client:" + ClientKey(signup.client_ip)}, now);
  if (!wait) return tl::unexpected(wait.error());
  if (*wait > 0) {
    return Fail(ErrorCode::kRateLimited,
                "Several signups came from this address or connection in the last hour. Please "
                "try again later.");
  }
  auto sections = KnownSections(signup.sections);
  if (!sections) return tl::unexpected(sections.error());
  auto existing = store_.FindSubscriberByEmail(email);
  if (!existing) return tl::unexpected(existing.error());

  Subscriber subscriber = existing->value_or(Subscriber{});
  if (*existing && subscriber.status == SubscriberStatus::kComplained) return {};
  if (*existing && subscriber.status == SubscriberStatus::kActive) {
    auto token = ManageToken(subscriber.id);
    if (!token) return tl::unexpected(token.error());
    return Mail(subscriber.email, "You are already subscribed to " + publication.title,
                fmt::format("Someone (we hope you) asked to subscribe this address to the {} "
                            "newsletter. It is already subscribed; nothing has changed.\n\n"
                            "Choose what you receive, or unsubscribe, here:\n\n{}/newsletter/"
                            "unsubscribe/{}\n",
                            publication.title, PublicBaseUrl(publication), *token));
  }
  // New, still pending, or back after leaving: pending until the link is followed.
  subscriber.email = existing->has_value() ? subscriber.email : email;
  subscriber.status = SubscriberStatus::kPending;
  subscriber.everything = signup.everything || sections->empty();
  subscriber.sections = subscriber.everything ? std::vector<std::string>() : *sections;
  if (!*existing) subscriber.created_at = now;
  auto id = store_.SaveSubscriber(subscriber);
  // The same address signing up twice at once: the other request stored it and mails the link.
  if (!id && id.error().code == ErrorCode::kConflict) return {};
  if (!id) return tl::unexpected(id.error());
  auto token = ConfirmToken(*id, now);
  if (!token) return tl::unexpected(token.error());
  return Mail(
      subscriber.email, "Confirm your subscription to " + publication.title,
      fmt::format("Please confirm that you want the {} newsletter at this address by opening "
                  "this link (it works for 7 days):\n\n{}/newsletter/confirm/{}\n\nIf you did "
                  "not ask for it, ignore this message: you will not hear from us again.\n",
                  publication.title, PublicBaseUrl(publication), *token));
}

Result<std::optional<Subscriber>> Subscriptions::Confirm(const std::string& token,
                                                         const Publication& publication,
                                                         Timestamp now) {
  auto key = Key();
  if (!key) return tl::unexpected(key.error());
  const auto fields =
      auth::TokenSigner(std::move(*key)).VerifyUnexpired("confirm", "", token, 2, 1, now);
  if (!fields) return std::optional<Subscriber>();
  auto found = store_.FindSubscriber(ParseId((*fields)[0]));
  if (!found) return tl::unexpected(found.error());
  if (!*found) return std::optional<Subscriber>();
  Subscriber subscriber = std::move(**found);
  if (subscriber.status == SubscriberStatus::kActive) return subscriber;  // a second click
  if (subscriber.status != SubscriberStatus::kPending) return std::optional<Subscriber>();
  subscriber.status = SubscriberStatus::kActive;
  subscriber.consented_at = now;
  subscriber.consent_source = "confirmed by e-mail";
  subscriber.unsubscribed_at.reset();
  if (auto saved = store_.SaveSubscriber(subscriber); !saved) return tl::unexpected(saved.error());
  auto manage = ManageToken(subscriber.id);
  if (!manage) return tl::unexpected(manage.error());
  // The reader is subscribed whatever becomes of the welcome, a courtesy.
  auto welcomed = Mail(
      subscriber.email, "Welcome to the " + publication.title + " newsletter",
      fmt::format("You are subscribed to the {} newsletter. Thank you.\n\nEvery issue carries "
                  "a link to choose what you receive or to unsubscribe; this one works too:\n\n"
                  "{}/newsletter/unsubscribe/{}\n",
                  publication.title, PublicBaseUrl(publication), *manage));
  if (!welcomed)
    spdlog::warn("welcome to {} not queued: {}", subscriber.email, Describe(welcomed.error()));
  return subscriber;
}

Result<Subscriber> Subscriptions::Unsubscribe(Subscriber subscriber, Timestamp now) const {
  if (subscriber.status == SubscriberStatus::kUnsubscribed) return subscriber;
  subscriber.status = SubscriberStatus::kUnsubscribed;
  subscriber.unsubscribed_at = now;
  if (auto saved = store_.SaveSubscriber(subscriber); !saved) return tl::unexpected(saved.error());
  return subscriber;
}

Result<Subscriber> Subscriptions::ChooseSections(Subscriber subscriber, bool everything,
                                                 const std::vector<std::string>& sections) const {
  auto known = KnownSections(sections);
  if (!known) return tl::unexpected(known.error());
  subscriber.everything = everything || known->empty();
  subscriber.sections = subscriber.everything ? std::vector<std::string>() : *known;
  if (auto saved = store_.SaveSubscriber(subscriber); !saved) return tl::unexpected(saved.error());
  return subscriber;
}

Result<std::string> Subscriptions::ExportCsv() const {
  std::string csv =
      "email,status,everything,sections,created_at,consented_at,consent_source,unsubscribed_at\r\n";
  SubscriberQuery query;
  query.limit = 1000;
  for (;; query.offset += query.limit) {
    auto page = store_.ListSubscribers(query);
    if (!page) return tl::unexpected(page.error());
    for (const Subscriber& subscriber : *page) {
      std::string sections;
      for (const std::string& slug : subscriber.sections)
        sections += (sections.empty() ? "" : " ") + slug;
      csv += fmt::format("{},{},{},{},{},{},{},{}\r\n", CsvField(subscriber.email),
                         SubscriberStatusName(subscriber.status), subscriber.everything ? 1 : 0,
                         CsvField(sections), FormatIsoTime(subscriber.created_at, TimeZone()),
                         IsoOrEmpty(subscriber.consented_at), CsvField(subscriber.consent_source),
                         IsoOrEmpty(subscriber.unsubscribed_at));
    }
    if (static_cast<int>(page->size()) < query.limit) break;
  }
  return csv;
}

Result<ImportReport> Subscriptions::ImportCsv(std::string_view csv, Timestamp now) const {
  if (!IsValidUtf8(csv)) return Fail(ErrorCode::kInvalidArgument, "The file is not UTF-8 text.");
  if (csv.starts_with("\xEF\xBB\xBF")) csv.remove_prefix(3);  // a byte-order mark from Excel
  auto rows = ParseCsv(csv);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return Fail(ErrorCode::kInvalidArgument, "The file is empty.");
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < rows->front().size(); ++i) column[LowerAscii(Trim((*rows)[0][i]))] = i;
  if (!column.count("email")) {
    return Fail(ErrorCode::kInvalidArgument,
                "The first line must name the columns, one of them \u201cemail\u201d.");
  }
  auto cell = [&](const std::vector<std::string>& row, const char* name) -> std::string {
    auto found = column.find(name);
    return found != column.end() && found->second < row.size()
               ? std::string(Trim(row[found->second]))
               : "";
  };
  ImportReport report;
  auto done = store_.InTransaction([&]() -> Result<void> {
    for (size_t line = 1; line < rows->size(); ++line) {
      const auto& row = (*rows)[line];
      const auto skip = [&](const std::string& why) {
        report.skipped.push_back(fmt::format("line {}: {}", line + 1, why));
      };
      const std::string email = cell(row, "email");
      if (email.empty() && row.size() <= 1) continue;  // a blank line
      if (!auth::CheckEmail(email)) {
        skip("\u201c" + email.substr(0, 100) + "\u201d is not an e-mail address");
        continue;
      }
      const std::string status_text = cell(row, "status");
      const auto status = status_text.empty() ? std::optional(SubscriberStatus::kActive)
                                              : ParseSubscriberStatus(LowerAscii(status_text));
      if (!status || *status == SubscriberStatus::kPending) {
        skip("the status \u201c" + status_text.substr(0, 40) +
             "\u201d is not active, unsubscribed, bounced or complained");
        continue;
      }
      std::optional<Timestamp> consented;
      if (const std::string when = cell(row, "consented_at"); !when.empty()) {
        auto parsed = ParseIsoTime(when, TimeZone());
        if (!parsed) {
          skip("the consent date \u201c" + when.substr(0, 40) + "\u201d is not a date");
          continue;
        }
        consented = *parsed;
      }
      if (*status == SubscriberStatus::kActive && !consented) {
        skip("no consent date: Broadsheet mails only people who agreed to it");
        continue;
      }
      auto existing = store_.FindSubscriberByEmail(email);
      if (!existing) return tl::unexpected(existing.error());
      Subscriber subscriber = existing->value_or(Subscriber{});
      if (!*existing) {
        subscriber.email = email;
        subscriber.created_at = now;
      }
      subscriber.status = *status;
      if (consented) subscriber.consented_at = consented;
      const std::string source = cell(row, "consent_source");
      subscriber.consent_source = source.empty() ? "import" : source.substr(0, 200);
      if (*status != SubscriberStatus::kActive && !subscriber.unsubscribed_at)
        subscriber.unsubscribed_at = now;
      auto sections = KnownSections(SplitTrimmed(cell(row, "sections"), ' '));
      if (!sections) return tl::unexpected(sections.error());
      // Without an "everything" column, listed sections mean only those.
      const std::string everything = cell(row, "everything");
      subscriber.everything =
          sections->empty() || everything == "1" || LowerAscii(everything) == "true";
      subscriber.sections = subscriber.everything ? std::vector<std::string>() : *sections;
      if (auto saved = store_.SaveSubscriber(subscriber); !saved)
        return tl::unexpected(saved.error());
      ++(*existing ? report.updated : report.added);
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return report;
}

}  // namespace broadsheet::newsletter

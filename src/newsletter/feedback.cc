#include "newsletter/feedback.h"

#include <charconv>
#include <optional>
#include <regex>

#include "core/text.h"

namespace broadsheet::newsletter {
namespace {

enum class Kind { kOther, kBounce, kComplaint };

struct Finding {
  Kind kind = Kind::kOther;
  std::optional<std::int64_t> subscriber_id;  // from VERP
  std::string recipient;                      // from the report's fields
};

// The value of the first "Name:" line (case-insensitive) at the start of a line, trimmed.
std::string FieldValue(const std::string& lower, const std::string& text, const std::string& name) {
  for (size_t at = lower.find(name); at != std::string::npos; at = lower.find(name, at + 1)) {
    if (at != 0 && lower[at - 1] != '\n') continue;
    const auto end = text.find('\n', at);
    return std::string(Trim(text.substr(at + name.size(), end - at - name.size())));
  }
  return "";
}

// "rfc822; Someone@Example.org" or "Some One <someone@example.org>" -> "someone@example.org"
std::string AddressIn(std::string value) {
  if (const auto semicolon = value.find(';'); semicolon != std::string::npos)
    value.erase(0, semicolon + 1);
  const auto open = value.find('<');
  const auto close = value.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open)
    value = value.substr(open + 1, close - open - 1);
  return LowerAscii(Trim(value));
}

Finding Examine(const std::string& message) {
  std::string text;
  text.reserve(message.size());
  for (char c : message) {
    if (c != '\r') text += c;
  }
  const std::string lower = LowerAscii(text);
  Finding finding;
  static const std::regex verp(R"(bounces\+(\d+)-(\d+)@)", std::regex::icase);
  std::smatch match;
  if (std::regex_search(text, match, verp)) {
    std::int64_t id = 0;
    const std::string digits = match[2].str();
    if (std::from_chars(digits.data(), digits.data() + digits.size(), id).ec == std::errc())
      finding.subscriber_id = id;
  }
  if (lower.find("report-type=feedback-report") != std::string::npos ||
      lower.find("report-type=\"feedback-report\"") != std::string::npos ||
      !FieldValue(lower, text, "feedback-type:").empty()) {
    finding.kind = Kind::kComplaint;
    // The complained-about message's own headers follow the report: its To: is the reader.
    const auto report_at = lower.find("feedback-type:");
    const auto to_at = lower.find("\nto:", report_at == std::string::npos ? 0 : report_at);
    if (to_at != std::string::npos) {
      const auto end = text.find('\n', to_at + 1);
      finding.recipient = AddressIn(text.substr(to_at + 4, end - to_at - 4));
    }
    return finding;
  }
  if (lower.find("report-type=delivery-status") == std::string::npos &&
      lower.find("report-type=\"delivery-status\"") == std::string::npos) {
    return finding;
  }
  const std::string action = LowerAscii(FieldValue(lower, text, "action:"));
  const std::string status = FieldValue(lower, text, "status:");
  if (action == "failed" && status.starts_with("5")) finding.kind = Kind::kBounce;
  finding.recipient = AddressIn(FieldValue(lower, text, "final-recipient:"));
  if (finding.recipient.empty())
    finding.recipient = AddressIn(FieldValue(lower, text, "original-recipient:"));
  return finding;
}

Result<bool> Apply(Store& store, const std::string& message, int bounce_threshold,
                   FeedbackReport& report) {
  const Finding finding = Examine(message);
  if (finding.kind == Kind::kOther) return false;
  auto subscriber = finding.subscriber_id        ? store.FindSubscriber(*finding.subscriber_id)
                    : !finding.recipient.empty() ? store.FindSubscriberByEmail(finding.recipient)
                                                 : Result<std::optional<Subscriber>>(std::nullopt);
  if (!subscriber) return tl::unexpected(subscriber.error());
  if (!*subscriber) return false;
  Subscriber& found = **subscriber;
  if (finding.kind == Kind::kComplaint) {
    found.status = SubscriberStatus::kComplained;
    if (!found.unsubscribed_at) found.unsubscribed_at = Now();
    ++report.complaints;
  } else {
    ++found.bounces;
    if (found.bounces >= bounce_threshold && found.status == SubscriberStatus::kActive)
      found.status = SubscriberStatus::kBounced;
    ++report.bounces;
  }
  if (auto saved = store.SaveSubscriber(found); !saved) return tl::unexpected(saved.error());
  return true;
}

}  // namespace

Result<FeedbackReport> ApplyFeedback(Store& store, std::istream& mailbox, int bounce_threshold) {
  FeedbackReport report;
  std::string message, line;
  bool too_large = false;
  auto finish = [&]() -> Result<void> {
    if (message.empty() && !too_large) return {};
    ++report.messages;
    if (too_large) {
      ++report.ignored;
    } else {
      auto applied = Apply(store, message, bounce_threshold, report);
      if (!applied) return tl::unexpected(applied.error());
      if (!*applied) ++report.ignored;
    }
    message.clear();
    too_large = false;
    return {};
  };
  auto done = store.InTransaction([&]() -> Result<void> {
    while (std::getline(mailbox, line)) {
      if (line.starts_with("From ")) {  // mbox: a new message begins
        if (auto finished = finish(); !finished) return finished;
        continue;
      }
      if (too_large) continue;
      if (message.size() + line.size() + 1 > kMaxReportBytes) {
        too_large = true;
        message.clear();
        continue;
      }
      message += line;
      message += '\n';
    }
    return finish();
  });
  if (!done) return tl::unexpected(done.error());
  if (mailbox.bad()) return Fail(ErrorCode::kIo, "the mailbox could not be read to its end");
  return report;
}

}  // namespace broadsheet::newsletter

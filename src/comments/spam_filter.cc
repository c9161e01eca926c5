// The comments' Bayesian spam filter: which words it weighs and how it combines them.
#include <algorithm>
#include <cmath>
#include <set>

#include "comments/comments.h"
#include "core/text.h"

namespace broadsheet::comments {
namespace {

constexpr size_t kMaxWords = 300;         // per comment; long texts add little beyond this
constexpr size_t kInterestingWords = 20;  // the strongest clues decide
constexpr double kStrength = 1.0;         // Robinson's s: weight of the 0.5 prior
constexpr double kIgnoreNear = 0.1;       // clues within this of 0.5 say nothing

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '\'' || c == '$'; }

// "https://www.example.com/path" -> "example.com"; "" when there is no host.
std::string HostOf(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#:"));
  std::string host = LowerAscii(url);
  if (host.starts_with("www.")) host.erase(0, 4);
  return host;
}

// The inverse chi-square probability for even degrees of freedom `df`: how likely a sum this
// large is by chance.
double ChiSquareSurvival(double chi, size_t df) {
  const double m = chi / 2.0;
  double sum = std::exp(-m), term = sum;
  for (size_t i = 1; i < df / 2; ++i) {
    term *= m / static_cast<double>(i);
    sum += term;
  }
  return std::min(sum, 1.0);
}

}  // namespace

std::vector<std::string> SpamWords(const Comment& comment) {
  std::set<std::string> words;
  auto add_text = [&](std::string_view text) {
    size_t at = 0;
    while (at < text.size() && words.size() < kMaxWords) {
      while (at < text.size() && !IsWordByte(static_cast<unsigned char>(text[at]))) ++at;
      size_t end = at;
      while (end < text.size() && IsWordByte(static_cast<unsigned char>(text[end]))) ++end;
      if (end - at >= 3 && end - at <= 40) words.insert(LowerAscii(text.substr(at, end - at)));
      at = end;
    }
  };
  add_text(comment.body_markdown);
  add_text(comment.author_name);
  for (size_t at = comment.body_markdown.find("://"); at != std::string::npos;
       at = comment.body_markdown.find("://", at + 3)) {
    const size_t start = comment.body_markdown.rfind(' ', at);
    const auto host = HostOf(
        std::string_view(comment.body_markdown).substr(start == std::string::npos ? 0 : start));
    if (!host.empty()) words.insert("link:" + host);
  }
  if (auto host = HostOf(comment.author_url); !host.empty()) words.insert("site:" + host);
  if (const auto at = comment.author_email.rfind('@'); at != std::string::npos)
    words.insert("mail:" + LowerAscii(comment.author_email.substr(at + 1)));
  return {words.begin(), words.end()};
}

double SpamScore(const SpamCounts& counts, const std::vector<std::string>& words) {
  if (counts.spam_comments < kMinLessons || counts.ham_comments < kMinLessons) return 0.5;
  std::vector<double> clues;
  for (const std::string& word : words) {
    const auto found = counts.words.find(word);
    if (found == counts.words.end()) continue;
    const auto [spam, ham] = found->second;
    const double spam_ratio = static_cast<double>(spam) / counts.spam_comments;
    const double ham_ratio = static_cast<double>(ham) / counts.ham_comments;
    if (spam_ratio + ham_ratio <= 0) continue;
    const double p = spam_ratio / (spam_ratio + ham_ratio);
    const double n = spam + ham;
    const double f = (kStrength * 0.5 + n * p) / (kStrength + n);
    if (std::abs(f - 0.5) >= kIgnoreNear) clues.push_back(std::clamp(f, 0.01, 0.99));
  }
  if (clues.empty()) return 0.5;
  std::sort(clues.begin(), clues.end(),
            [](double a, double b) { return std::abs(a - 0.5) > std::abs(b - 0.5); });
  if (clues.size() > kInterestingWords) clues.resize(kInterestingWords);
  double log_ham = 0, log_spam = 0;
  for (double f : clues) {
    log_spam += std::log(1.0 - f);
    log_ham += std::log(f);
  }
  // Fisher's method both ways: S near 1 when the clues say spam, H when they say not.
  const double spamminess = 1.0 - ChiSquareSurvival(-2.0 * log_spam, 2 * clues.size());
  const double hamminess = 1.0 - ChiSquareSurvival(-2.0 * log_ham, 2 * clues.size());
  return (1.0 + spamminess - hamminess) / 2.0;
}

}  // namespace broadsheet::comments

#include "comments/privacy.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/crypto.h"
#include "core/text.h"

namespace broadsheet::comments {
namespace {

std::string Hex(std::string_view text) {
  std::string out;
  for (unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t at = 0; at < hex.size(); at += 2) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(hex.data() + at, hex.data() + at + 2, value, 16);
    if (error != std::errc() || end != hex.data() + at + 2) return std::nullopt;
    out += static_cast<char>(value);
  }
  return out;
}

}  // namespace

// A token is EXPIRES.HEX(ADDRESS).SIGNATURE.
Result<std::string> Privacy::LinkToken(const std::string& email, Timestamp now) const {
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return key;
  const std::string payload = fmt::format("{}.{}", now + kLinkLifetime, Hex(LowerAscii(email)));
  return payload + "." + auth::Sign(*key, "privacy:" + payload);
}

Result<std::optional<std::string>> Privacy::CheckToken(const std::string& token,
                                                       Timestamp now) const {
  const auto last = token.rfind('.');
  const auto first = token.find('.');
  if (token.size() > 1200 || first == std::string::npos || first == last)
    return std::optional<std::string>();
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return tl::unexpected(key.error());
  const std::string payload = token.substr(0, last);
  if (!auth::ConstantTimeEquals(auth::Sign(*key, "privacy:" + payload), token.substr(last + 1)))
    return std::optional<std::string>();
  Timestamp expires = 0;
  std::from_chars(token.data(), token.data() + first, expires);
  if (expires < now) return std::optional<std::string>();
  return Unhex(std::string_view(token).substr(first + 1, last - first - 1));
}

bool Privacy::AllowRequest(const std::string& email, const std::string& client_ip, Timestamp now) {
  return requests_.Allow({"mail:" + LowerAscii(email), "client:" + client_ip}, now);
}

Result<std::string> Privacy::Export(const std::string& email) const {
  auto comments = store_.ListCommentsByEmail(email);
  if (!comments) return tl::unexpected(comments.error());
  nlohmann::json list = nlohmann::json::array();
  for (const Comment& comment : *comments) {
    list.push_back({{"id", comment.id},
                    {"article", "/" + comment.post_slug + "/"},
                    {"in_reply_to", comment.parent_id ? nlohmann::json(*comment.parent_id)
                                                      : nlohmann::json(nullptr)},
                    {"status", CommentStatusName(comment.status)},
                    {"name", comment.author_name},
                    {"email", comment.author_email},
                    {"website", comment.author_url},
                    {"text", comment.body_markdown},
                    {"created_at", FormatIsoTime(comment.created_at, TimeZone())}});
  }
  nlohmann::json document = {{"email", LowerAscii(email)}, {"comments", list}};
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace broadsheet::comments

#include "comments/privacy.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/crypto.h"
#include "auth/signed_token.h"
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

// A token's fields are EXPIRES and HEX(ADDRESS).
Result<std::string> Privacy::LinkToken(const std::string& email, Timestamp now) const {
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return key;
  return auth::TokenSigner(std::move(*key))
      .Issue("privacy", "", {std::to_string(now + kLinkLifetime), Hex(LowerAscii(email))});
}

Result<std::optional<std::string>> Privacy::CheckToken(const std::string& token,
                                                       Timestamp now) const {
  auto key = store_.Secret("comment-key", [] { return auth::RandomToken(); });
  if (!key) return tl::unexpected(key.error());
  const auto fields =
      auth::TokenSigner(std::move(*key)).VerifyUnexpired("privacy", "", token, 2, 0, now);
  if (!fields) return std::optional<std::string>();
  return Unhex((*fields)[1]);
}

Result<bool> Privacy::AllowRequest(const std::string& email, const std::string& client_ip,
                                   Timestamp now) {
  auto wait = limiter_.Take({"privacy-link", kMaxRequests, 3600},
                            {"mail:" + LowerAscii(email), "client:" + ClientKey(client_ip)}, now);
  if (!wait) return tl::unexpected(wait.error());
  return *wait == 0;
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

#include "content/publication.h"

namespace broadsheet::content {

void PublicationOverrides::Apply(Publication& publication) const {
  if (title) publication.title = *title;
  if (description) publication.description = *description;
  if (base_url) publication.base_url = *base_url;
  if (disclaimer) publication.disclaimer = *disclaimer;
  if (timezone) publication.timezone = *timezone;
  if (language) publication.language = *language;
  while (!publication.base_url.empty() && publication.base_url.back() == '/')
    publication.base_url.pop_back();
}

Result<void> ValidatePublication(const Publication& publication) {
  if (auto zone = TimeZone::Find(publication.timezone); !zone) return tl::unexpected(zone.error());
  const auto& language = publication.language;
  const bool language_ok =
      !language.empty() && language.size() <= 35 &&
      language.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == std::string::npos;
  if (!language_ok) {
    return Fail(ErrorCode::kInvalidArgument,
                "language \"" + language + "\" is not a language tag such as en or en-GB");
  }
  const auto& url = publication.base_url;
  if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    return Fail(ErrorCode::kInvalidArgument,
                "base_url \"" + url + "\" must start with http:// or https://");
  }
  if (publication.title.empty())
    return Fail(ErrorCode::kInvalidArgument, "the title must not be empty");
  return {};
}

std::string DisclaimerFor(const PostDetail& detail, const Publication& publication) {
  const Post& post = detail.post;
  if (post.disclaimer_hidden) return {};
  if (post.disclaimer && !post.disclaimer->empty()) return *post.disclaimer;
  if (!post.opinion) return {};
  if (detail.section && detail.section->disclaimer && !detail.section->disclaimer->empty()) {
    return *detail.section->disclaimer;
  }
  return publication.disclaimer;
}

}  // namespace broadsheet::content

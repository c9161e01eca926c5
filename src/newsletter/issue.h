// Issues: an article, or a digest of recent articles, as a newsletter mail. The HTML part is a
// single-column table with inline styles (what common mail clients render alike); the text part
// is the article's own Markdown. Both carry kUnsubscribeMarker where each reader's link goes, and
// absolute links to the site. Pure functions, but for WeeklyDigest, which reads the Store.
#pragma once

#include <string>
#include <vector>

#include "storage/store.h"

namespace broadsheet::newsletter {

// `disclaimer` is what the article page shows (empty for none).
NewsletterSend ComposeIssue(const PostDetail& detail, const Publication& publication,
                            const std::string& disclaimer);
// The week's (or any) articles, newest first, as one mail.
NewsletterSend ComposeDigest(const std::vector<PostDetail>& posts, const Publication& publication,
                             const std::string& title);
// The digest of the articles published in the seven days before `now` (at most 50);
// kInvalidArgument when there are none.
Result<NewsletterSend> WeeklyDigest(Store& store, const Publication& publication, Timestamp now);

}  // namespace broadsheet::newsletter

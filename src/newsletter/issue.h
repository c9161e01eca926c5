// Issues: an article, or a digest of recent articles, as a newsletter mail. The HTML part is a
// single-column table with inline styles (what common mail clients render alike); the text part
// is the article's own Markdown. Both carry kUnsubscribeMarker where each reader's link goes, and
// absolute links to the site. Pure functions: no I/O.
#pragma once

#include <string>
#include <vector>

#include "storage/records.h"

namespace broadsheet::newsletter {

// `disclaimer` is what the article page shows (empty for none).
NewsletterSend ComposeIssue(const PostDetail& detail, const Publication& publication,
                            const std::string& disclaimer);
// The week's (or any) articles, newest first, as one mail.
NewsletterSend ComposeDigest(const std::vector<PostDetail>& posts, const Publication& publication,
                             const std::string& title);

}  // namespace broadsheet::newsletter

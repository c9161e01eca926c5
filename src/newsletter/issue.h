// Issues: an article, or a digest of recent articles, as a newsletter mail. The HTML part is a
// single-column table with inline styles (what common mail clients render alike); the text part
// is the article's own Markdown. Both carry kUnsubscribeMarker where each reader's link goes, and
// absolute links to the site. Pure functions, but for WeeklyDigest, which reads the Store.
#pragma once

#include <string>
#include <vector>

#include "storage/store.h"

namespace broadsheet::newsletter {

// The masthead shows the publication's logo (with its title as alt text) when it has one, and its
// accent colour where the theme's is; `links` ((label, site path or address) pairs, the site's
// chosen menu: content::ResolveNavigation) go under the masthead.
using MailLinks = std::vector<std::pair<std::string, std::string>>;

// `disclaimer` is what the article page shows (empty for none).
NewsletterSend ComposeIssue(const PostDetail& detail, const Publication& publication,
                            const std::string& disclaimer, const MailLinks& links = {});
// The week's (or any) articles, newest first, as one mail.
NewsletterSend ComposeDigest(const std::vector<PostDetail>& posts, const Publication& publication,
                             const std::string& title, const MailLinks& links = {});
// The digest of the articles published in the seven days before `now` (at most 50);
// kInvalidArgument when there are none.
Result<NewsletterSend> WeeklyDigest(Store& store, const Publication& publication, Timestamp now,
                                    const MailLinks& links = {});

}  // namespace broadsheet::newsletter

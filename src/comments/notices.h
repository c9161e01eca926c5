// Mail about new comments, through the mail outbox: the post's authors hear of a comment that
// appears, and moderators of one that waits for them (as WordPress does by default). Spam tells
// no one. Each is a desk setting (Rules::notify_authors, Rules::notify_moderators).
#pragma once

#include "comments/comments.h"
#include "mail/outbox.h"

namespace broadsheet::comments {

// Queues the notices for `comment` (just stored) on `post`; returns how many were queued.
Result<int> QueueNotices(Store& store, mail::Outbox& outbox, const Publication& publication,
                         const Rules& rules, std::int64_t post_id, const Comment& comment);

}  // namespace broadsheet::comments

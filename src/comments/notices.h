// Mail about new comments, through the mail outbox: the post's authors hear of a comment that
// appears, and moderators of comments that wait for them (as WordPress does by default). Spam
// tells no one. Each is a desk setting (Rules::notify_authors, Rules::notify_moderators).
//
// Moderators get at most one mail per `moderator_interval`: the first held comment after a quiet
// interval is sent at once; those that follow within the interval are kept and sent together,
// in one mail listing them all, by Flush once the interval has passed. A flood of held comments
// therefore costs one mail per interval, not one per comment. The kept comments and the time of
// the last digest are in the database (Store::NoteHeldComment, ClaimModeratorDigest), so with
// several nodes one digest goes out per interval, from whichever node claims it first, and a
// restart forgets nothing. A digest is claimed and its mails queued in one transaction: a
// failure between the two leaves its comments for the next digest.
//
// Borrows the Store and the Outbox. Thread-safe.
#pragma once

#include <vector>

#include "comments/comments.h"
#include "mail/outbox.h"

namespace broadsheet::comments {

inline constexpr size_t kMaxListedInDigest = 50;  // comments a digest quotes; the rest are counted

class Notices {
 public:
  Notices(Store& store, mail::Outbox& outbox, Timestamp moderator_interval)
      : store_(store), outbox_(outbox), interval_(moderator_interval) {}

  // Tells of `comment` (just stored on post `post_id`) at `now`: its authors at once when it is
  // published, the moderators in the next digest when it is held. Returns how many mails were
  // queued now.
  Result<int> Comment(const Publication& publication, const Rules& rules, std::int64_t post_id,
                      const broadsheet::Comment& comment, Timestamp now);
  // Sends the kept held comments to the moderators if the interval since the last digest has
  // passed at `now`; returns how many mails were queued. Called every few seconds by the server.
  Result<int> Flush(const Publication& publication, Timestamp now);

 private:
  // Flush's transaction: claims the digest and queues its mails, counting them in `sent`.
  Result<void> QueueDigest(const Publication& publication, Timestamp now, int& sent);

  Store& store_;
  mail::Outbox& outbox_;
  const Timestamp interval_;
};

}  // namespace broadsheet::comments

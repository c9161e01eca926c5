// Mail about new comments, through the mail outbox: the post's authors hear of a comment that
// appears, and moderators of comments that wait for them (as WordPress does by default). Spam
// tells no one. Each is a desk setting (Rules::notify_authors, Rules::notify_moderators).
//
// Moderators get at most one mail per `moderator_interval`: the first held comment after a quiet
// interval is sent at once; those that follow within the interval are kept (in memory) and sent
// together, in one mail listing them all, by Flush once the interval has passed. A flood of held
// comments therefore costs one mail per interval, not one per comment. A restart forgets the
// kept ones; they are all in the desk's queue, which every mail links to.
//
// Borrows the Store and the Outbox. Thread-safe.
#pragma once

#include <mutex>
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
  struct Held {
    std::string post_title;
    std::string author_name, author_email, author_url;
    std::string text, reason;
  };
  Result<int> SendDigestLocked(const Publication& publication, Timestamp now);

  Store& store_;
  mail::Outbox& outbox_;
  const Timestamp interval_;
  std::mutex mutex_;
  std::vector<Held> held_;  // kept for the next digest, at most kMaxListedInDigest
  int not_listed_ = 0;      // kept beyond those
  std::optional<Timestamp> last_digest_;
};

}  // namespace broadsheet::comments

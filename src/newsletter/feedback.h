// Feedback: bounce and complaint reports from a mailbox file (mbox), as a relay or mailbox
// provider returns them. Delivery status notifications (RFC 3464) that say a delivery failed for
// good (Action: failed, Status 5.x.x) count a bounce against the subscriber (bounced at the
// threshold); abuse reports (ARF, RFC 5965) mark the subscriber complained, so they are never
// mailed again. The subscriber is found by the VERP return path (bounces+SEND-SUBSCRIBER@…)
// when the report carries it, else by the reported recipient's address. Messages are read one at
// a time (each at most kMaxReportBytes), so a large mailbox needs little memory.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "storage/store.h"

namespace broadsheet::newsletter {

inline constexpr size_t kMaxReportBytes = 10 * 1024 * 1024;

struct FeedbackReport {
  int messages = 0;
  int bounces = 0;     // permanent failures counted
  int complaints = 0;  // subscribers marked complained
  int ignored = 0;     // temporary failures, reports about nobody we know, other mail
};

Result<FeedbackReport> ApplyFeedback(Store& store, std::istream& mailbox, int bounce_threshold);

}  // namespace broadsheet::newsletter

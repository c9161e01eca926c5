// `broadsheet newsletter send|status`: queue an issue in the site's outbox and, when no server
// is delivering it, deliver it here with a progress line; report the sends and their progress.
#pragma once

#include <string>
#include <vector>

namespace broadsheet::cli {

struct NewsletterSendOptions {
  std::string slug;                   // the article; empty with `digest`
  bool digest = false;                // the last seven days' articles instead
  std::vector<std::string> segments;  // "everything" and section slugs; empty: everyone
  bool dry_run = false;
};

int NewsletterSendCommand(const std::string& site, const NewsletterSendOptions& options);
int NewsletterStatusCommand(const std::string& site);
// Reads bounce and complaint reports from a mailbox file ("-": standard input).
int NewsletterFeedbackCommand(const std::string& site, const std::string& file);

}  // namespace broadsheet::cli

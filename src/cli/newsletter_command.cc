#include "cli/newsletter_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "app/config.h"
#include "app/heartbeat.h"
#include "app/serve.h"
#include "app/site_dir.h"
#include "auth/crypto.h"
#include "content/publication.h"
#include "mail/smtp_mailer.h"
#include "newsletter/feedback.h"
#include "newsletter/issue.h"
#include "newsletter/sender.h"

namespace broadsheet::cli {
namespace {

int Fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.message.c_str());
  return 1;
}

// "[#######.............]  350/1,000 sent, 2 failed, 120/s"
void ShowProgress(const NewsletterSend& send, double rate, bool final) {
  if (!isatty(STDERR_FILENO)) {
    if (final)
      std::fprintf(stderr, "%d sent, %d failed of %d\n", send.sent, send.failed, send.total);
    return;
  }
  const int width = 30;
  const int done = send.total > 0 ? (send.sent + send.failed) * width / send.total : width;
  std::fprintf(stderr, "\r[%s%s] %d/%d sent, %d failed, %.0f/s   %s",
               std::string(done, '#').c_str(), std::string(width - done, '.').c_str(), send.sent,
               send.total, send.failed, rate, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

int NewsletterSendCommand(const std::string& site, const NewsletterSendOptions& options) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return Fail(config.error());
  if (auto crypto = auth::InitCrypto(); !crypto) return Fail(crypto.error());
  auto opened = app::OpenStore(*paths);
  if (!opened) return Fail(opened.error());
  Store& store = **opened;
  // An issue quotes stored bodies: HTML stored before the filter is filtered first (once).
  if (auto upgraded = app::UpgradeStoredHtml(store, *config); !upgraded)
    return Fail(upgraded.error());
  auto load_publication = [&]() -> Result<Publication> {
    auto publication = store.LoadPublication();
    if (publication) config->publication.Apply(*publication);
    return publication;
  };
  auto publication = load_publication();
  if (!publication) return Fail(publication.error());

  auto sections = store.ListSections();
  if (!sections) return Fail(sections.error());
  for (const std::string& segment : options.segments) {
    const bool known =
        segment == "everything" || std::any_of(sections->begin(), sections->end(),
                                               [&](const Section& s) { return s.slug == segment; });
    if (!known) {
      return Fail(
          Error{ErrorCode::kInvalidArgument,
                fmt::format("There is no segment \u201c{}\u201d: use \u201ceverything\u201d "
                            "or a section's slug.",
                            segment),
                ""});
    }
  }

  auto links = content::NewsletterLinks(store, *publication, Now());
  if (!links) return Fail(links.error());
  NewsletterSend send;
  if (options.digest) {
    auto digest = newsletter::WeeklyDigest(store, *publication, Now(), *links);
    if (!digest) return Fail(digest.error());
    send = std::move(*digest);
  } else {
    auto detail = store.FindPublishedPost(options.slug, Now());
    if (!detail) return Fail(detail.error());
    if (!*detail) {
      return Fail(Error{ErrorCode::kNotFound,
                        "There is no published article \u201c" + options.slug + "\u201d.", ""});
    }
    send = newsletter::ComposeIssue(**detail, *publication,
                                    content::DisclaimerFor(**detail, *publication), *links);
  }
  send.segments = options.segments;
  auto recipients = store.CountRecipients(send.segments);
  if (!recipients) return Fail(recipients.error());
  const std::string to = options.segments.empty() ? "every active subscriber"
                                                  : fmt::format("active subscribers of {}",
                                                                fmt::join(options.segments, ", "));
  if (options.dry_run) {
    std::printf("would send \u201c%s\u201d to %d subscriber(s) (%s); nothing was queued\n",
                send.subject.c_str(), *recipients, to.c_str());
    return 0;
  }
  if (config->mail.smtp_url.empty()) {
    return Fail(Error{ErrorCode::kUnavailable,
                      "Mail is not configured: set [mail] smtp_url and from in broadsheet.toml.",
                      ""});
  }
  send.created_at = Now();
  auto id = store.QueueSend(send);
  if (!id) return Fail(id.error());
  std::printf("queued send #%lld: \u201c%s\u201d to %d subscriber(s) (%s)\n",
              static_cast<long long>(*id), send.subject.c_str(), *recipients, to.c_str());
  std::fflush(stdout);

  // A server delivering (on this machine or another node of the database) holds its worker's
  // lease: it sends this one too.
  auto leases = store.LiveLeases(Now());
  if (!leases) return Fail(leases.error());
  if (std::any_of(leases->begin(), leases->end(), [](const Lease& lease) {
        return lease.name.starts_with(newsletter::kSenderLeasePrefix);
      })) {
    std::printf("the running server delivers it; follow it with `broadsheet newsletter status`\n");
    return 0;
  }
  // No server is delivering: deliver here, until this send is done, claiming batch by batch as a
  // server does (a server that starts meanwhile shares the send; nobody gets two copies).
  app::Heartbeat heartbeat(store, app::NewNodeId());
  newsletter::SenderOptions sending = config->newsletter;
  sending.claim_s = std::max(sending.claim_s, 60 + 2 * config->mail.timeout_s);
  newsletter::Sender sender(
      store, sending, heartbeat.node(),
      [&] { return std::make_unique<mail::SmtpSession>(config->mail); }, load_publication);
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    auto report = sender.RunBatch(Now());
    if (!report) return Fail(report.error());
    auto progress = store.FindSend(*id);
    if (!progress || !*progress)
      return Fail(progress ? Error{ErrorCode::kNotFound, "the send is gone", ""}
                           : progress.error());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const bool finished = (*progress)->status == SendStatus::kDone;
    ShowProgress(**progress, seconds > 0 ? (*progress)->sent / seconds : 0, finished);
    if (finished) break;
    if (report->empty()) {
      // Only retries are left: wait until the next one is due.
      auto next = store.NextDeliveryAt();
      if (!next) return Fail(next.error());
      const Timestamp wait = *next ? std::max<Timestamp>(1, **next - Now()) : 1;
      std::this_thread::sleep_for(std::chrono::seconds(std::min<Timestamp>(wait, 60)));
    }
  }
  return 0;
}

int NewsletterFeedbackCommand(const std::string& site, const std::string& file) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto config = app::LoadConfig(site, app::ProcessEnvironment());
  if (!config) return Fail(config.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  std::ifstream input;
  if (file != "-") {
    input.open(file, std::ios::binary);
    if (!input) return Fail(Error{ErrorCode::kNotFound, "cannot read " + file, ""});
  }
  auto report = newsletter::ApplyFeedback(**store, file == "-" ? std::cin : input,
                                          config->newsletter.bounce_threshold);
  if (!report) return Fail(report.error());
  std::printf("read %d message(s): %d bounce(s) counted, %d complaint(s), %d ignored\n",
              report->messages, report->bounces, report->complaints, report->ignored);
  return 0;
}

int NewsletterStatusCommand(const std::string& site) {
  auto paths = app::OpenSiteDir(site);
  if (!paths) return Fail(paths.error());
  auto store = app::OpenStore(*paths);
  if (!store) return Fail(store.error());
  auto sends = (*store)->ListSends(20);
  if (!sends) return Fail(sends.error());
  if (sends->empty()) std::printf("no newsletter has been sent\n");
  for (const NewsletterSend& send : *sends) {
    std::printf("#%lld\t%s\t%d sent\t%d failed\t%d remaining\tof %d\t%.0f/s\t%s\n",
                static_cast<long long>(send.id), std::string(SendStatusName(send.status)).c_str(),
                send.sent, send.failed, send.remaining, send.total, send.Rate(),
                send.subject.c_str());
  }
  return 0;
}

}  // namespace broadsheet::cli

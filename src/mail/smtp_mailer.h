// SmtpMailer sends through an SMTP server with libcurl. `smtp_url` is "smtp://host:port"
// (STARTTLS is used whenever the server offers it) or "smtps://host:port" (TLS from the start).
// With a username, it authenticates. Every send has a connect timeout and an overall timeout, so
// a dead server cannot hang a caller.
//
// Thread-safe: each Send uses its own libcurl handle.
#pragma once

#include <string>

#include "mail/dkim.h"
#include "mail/mailer.h"

namespace broadsheet::mail {

struct SmtpSettings {
  std::string smtp_url;  // empty: mail is not configured
  std::string username;
  std::string password;
  std::string from;          // "Name <address>"
  int timeout_s = 30;        // whole send
  bool require_tls = false;  // refuse to send (or authenticate) without TLS
  std::string ca_file;       // extra CA certificates to trust (a private relay); empty: system
  std::shared_ptr<const DkimSigner> dkim;  // signs every message when set
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpSettings settings);
  Result<void> Send(const Message& message) override;
  bool configured() const override { return !settings_.smtp_url.empty(); }
  const SmtpSettings& settings() const { return settings_; }

 private:
  SmtpSettings settings_;
};

// One SMTP connection kept open across messages (libcurl reuses it while the handle lives), for
// sending many messages in a row. Not thread-safe: one per sending thread.
class SmtpSession final : public Mailer {
 public:
  explicit SmtpSession(const SmtpSettings& settings);
  ~SmtpSession() override;
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;
  Result<void> Send(const Message& message) override;
  bool configured() const override { return !settings_.smtp_url.empty(); }

 private:
  const SmtpSettings& settings_;
  void* curl_;  // CURL*
};

}  // namespace broadsheet::mail

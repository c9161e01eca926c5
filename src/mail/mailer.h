// Mail: what a message is, and the Mailer interface that sends one. The SMTP implementation is in
// smtp_mailer.h; tests may use their own Mailer.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace broadsheet::mail {

struct Message {
  std::string from;     // "The Meridian Review <desk@meridian.example>" or a bare address
  std::string to;       // one address
  std::string subject;  // UTF-8; encoded as needed
  std::string text;     // the plain-text part, UTF-8
  std::string html;     // optional HTML part
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string return_path;  // the envelope sender (MAIL FROM) for bounces; empty: `from`
};

// The bare address in "Name <address>" (or the whole text when there are no brackets).
std::string AddressOf(const std::string& mailbox);

// The message as RFC 5322 text with CRLF line ends: headers (Date, Message-ID, MIME), a
// text/plain part, and a multipart/alternative HTML part when `html` is set. Bodies are base64.
std::string Compose(const Message& message, const std::string& message_id_domain);

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Blocks until the server accepted or refused the message. kUnavailable when mail is not
  // configured; kIo with the server's answer in `detail` when sending failed for now (a 4xx
  // reply, a timeout, a lost connection: worth trying again later); kInvalidArgument when the
  // server refused it for good (a 5xx reply).
  virtual Result<void> Send(const Message& message) = 0;
  virtual bool configured() const = 0;
};

}  // namespace broadsheet::mail

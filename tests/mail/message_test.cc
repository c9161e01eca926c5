#include <sodium.h>

#include <gtest/gtest.h>

#include "mail/mailer.h"
#include "mail/smtp_mailer.h"

namespace broadsheet::mail {
namespace {

std::string Header(const std::string& text, const std::string& name) {
  const auto at = text.find("\r\n" + name + ": ");
  if (at == std::string::npos)
    return text.starts_with(name + ": ")
               ? text.substr(name.size() + 2, text.find("\r\n") - name.size() - 2)
               : "";
  const auto start = at + name.size() + 4;
  return text.substr(start, text.find("\r\n", start) - start);
}

TEST(Compose, WritesTheHeadersAMailServerExpects) {
  ASSERT_GE(sodium_init(), 0);
  Message message;
  message.from = "The Meridian Review <desk@meridian.example>";
  message.to = "jane@example.org";
  message.subject = "Reset your password";
  message.text = "Hello Jane";
  const std::string text = Compose(message, "meridian.example");
  EXPECT_EQ(Header(text, "From"), "The Meridian Review <desk@meridian.example>");
  EXPECT_EQ(Header(text, "To"), "jane@example.org");
  EXPECT_EQ(Header(text, "Subject"), "Reset your password");
  EXPECT_TRUE(Header(text, "Message-ID").ends_with("@meridian.example>"));
  EXPECT_TRUE(Header(text, "Date").ends_with("+0000"));
  EXPECT_EQ(Header(text, "Content-Transfer-Encoding"), "base64");
  EXPECT_NE(text.find("\r\n\r\nSGVsbG8gSmFuZQ==\r\n"), std::string::npos);  // base64 of the body
}

TEST(Compose, EncodesNonAsciiHeadersAndRefusesHeaderInjection) {
  ASSERT_GE(sodium_init(), 0);
  Message message;
  message.from = "Zürich Desk <desk@example.org>";
  message.to = "jane@example.org";
  message.subject = "Hi\r\nBcc: victim@example.org";
  message.text = "x";
  const std::string text = Compose(message, "example.org");
  EXPECT_TRUE(Header(text, "From").starts_with("=?UTF-8?B?"));
  EXPECT_EQ(text.find("\r\nBcc:"), std::string::npos);
}

TEST(Compose, HtmlMakesAMultipartAlternative) {
  ASSERT_GE(sodium_init(), 0);
  Message message;
  message.from = "desk@example.org";
  message.to = "jane@example.org";
  message.subject = "News";
  message.text = "Plain";
  message.html = "<p>Rich</p>";
  const std::string text = Compose(message, "example.org");
  EXPECT_TRUE(Header(text, "Content-Type").starts_with("multipart/alternative; boundary="));
  EXPECT_NE(text.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(text.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
}

TEST(AddressOf, TakesTheAddressOutOfAMailbox) {
  EXPECT_EQ(AddressOf("Jane Doe <jane@example.org>"), "jane@example.org");
  EXPECT_EQ(AddressOf("jane@example.org"), "jane@example.org");
}

TEST(SmtpMailer, UnconfiguredMailIsUnavailableNotAnAttempt) {
  SmtpMailer mailer(SmtpSettings{});
  EXPECT_FALSE(mailer.configured());
  EXPECT_EQ(
      mailer.Send(Message{"a@example.org", "b@example.org", "s", "t", "", {}, ""}).error().code,
      ErrorCode::kUnavailable);
}

TEST(SmtpMailer, ADeadServerIsAnErrorNotAHang) {
  SmtpSettings settings;
  settings.smtp_url = "smtp://127.0.0.1:1";  // nothing listens on port 1
  settings.from = "desk@example.org";
  settings.timeout_s = 5;
  SmtpMailer mailer(settings);
  auto sent = mailer.Send(Message{"", "jane@example.org", "s", "t", "", {}, ""});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace broadsheet::mail

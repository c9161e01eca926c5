#include <sodium.h>

#include <ctime>

#include <fmt/format.h>

#include "core/time.h"
#include "mail/mailer.h"

namespace broadsheet::mail {
namespace {

std::string Base64(std::string_view data) {
  std::string out(sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

// Base64 in lines of 76 characters, as MIME requires.
std::string Base64Lines(std::string_view data) {
  const std::string encoded = Base64(data);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out += encoded.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

bool IsAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Header values never carry a line break (that would let input add headers).
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// RFC 2047 encoded-word for non-ASCII header text.
std::string EncodeHeader(std::string_view text) {
  const std::string line = OneLine(text);
  if (IsAscii(line)) return line;
  return "=?UTF-8?B?" + Base64(line) + "?=";
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace

std::string AddressOf(const std::string& mailbox) {
  const auto open = mailbox.rfind('<');
  const auto close = mailbox.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    return mailbox.substr(open + 1, close - open - 1);
  }
  return mailbox;
}

std::string Compose(const Message& message, const std::string& message_id_domain) {
  std::string out;
  std::string date = FormatHttpDate(Now());  // "…:25 GMT" -> "…:25 +0000" (RFC 5322)
  date.replace(date.size() - 3, 3, "+0000");
  out += "Date: " + date + "\r\n";
  // "From: Name <address>": the display name is encoded on its own.
  const std::string address = AddressOf(message.from);
  const auto open = message.from.rfind('<');
  std::string name = open != std::string::npos ? message.from.substr(0, open) : "";
  while (!name.empty() && name.back() == ' ') name.pop_back();
  out += "From: " +
         (name.empty() ? OneLine(address) : EncodeHeader(name) + " <" + OneLine(address) + ">") +
         "\r\n";
  out += "To: " + OneLine(message.to) + "\r\n";
  out += "Subject: " + EncodeHeader(message.subject) + "\r\n";
  out += fmt::format("Message-ID: <{}@{}>\r\n", RandomHex(16), message_id_domain);
  for (const auto& [header, value] : message.headers)
    out += OneLine(header) + ": " + OneLine(value) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (message.html.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    out += Base64Lines(message.text);
    return out;
  }
  const std::string boundary = "=_broadsheet_" + RandomHex(12);
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Lines(message.text);
  out += "--" + boundary +
         "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Lines(message.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace broadsheet::mail

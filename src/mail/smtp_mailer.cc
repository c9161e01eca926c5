#include "mail/smtp_mailer.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace broadsheet::mail {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string data;
  size_t offset = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t room = size * count;
  const size_t left = upload->data.size() - upload->offset;
  const size_t n = left < room ? left : room;
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

std::string DomainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpSettings settings) : settings_(std::move(settings)) { InitCurlOnce(); }

Result<void> SmtpMailer::Send(const Message& message) {
  SmtpSession session(settings_);
  return session.Send(message);
}

SmtpSession::SmtpSession(const SmtpSettings& settings)
    : settings_(settings), curl_(curl_easy_init()) {
  InitCurlOnce();
}

SmtpSession::~SmtpSession() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<void> SmtpSession::Send(const Message& message) {
  if (settings_.smtp_url.empty()) {
    return Fail(ErrorCode::kUnavailable,
                "mail is not configured (set [mail] smtp_url in broadsheet.toml)");
  }
  Message complete = message;
  if (complete.from.empty()) complete.from = settings_.from;
  const std::string from = AddressOf(complete.from);
  const std::string envelope = complete.return_path.empty() ? from : complete.return_path;
  const std::string to = AddressOf(complete.to);
  if (from.empty() || to.empty() || to.find_first_of("\r\n<>") != std::string::npos ||
      envelope.find_first_of("\r\n<>") != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "the message needs a sender and one recipient");
  }
  Upload upload{Compose(complete, DomainOf(from)), 0};
  if (settings_.dkim) {
    auto signed_message = settings_.dkim->Sign(upload.data, Now());
    if (!signed_message) return tl::unexpected(signed_message.error());
    upload.data = std::move(*signed_message);
  }

  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Fail(ErrorCode::kInternal, "could not start the mail client");
  curl_easy_reset(curl);  // options go; the open connection stays
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  const std::string mail_from = "<" + envelope + ">";
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, settings_.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_USE_SSL, settings_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout_s));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  if (!settings_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings_.ca_file.c_str());
  if (!settings_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
  }
  const CURLcode result = curl_easy_perform(curl);
  long response = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all(recipients);
  if (result != CURLE_OK) {
    const std::string detail = std::string(curl_easy_strerror(result)) +
                               (error_buffer[0] ? ": " : "") + error_buffer + " (SMTP " +
                               std::to_string(response) + ")";
    // A 5xx answer is final; anything else (4xx, timeouts, lost connections) may pass later.
    if (response >= 500 && response < 600) {
      return Fail(ErrorCode::kInvalidArgument, "the mail server refused the message", detail);
    }
    return Fail(ErrorCode::kIo, "the mail server did not accept the message", detail);
  }
  return {};
}

}  // namespace broadsheet::mail

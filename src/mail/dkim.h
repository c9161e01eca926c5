// DkimSigner: DKIM signatures (RFC 6376) for outgoing mail, with relaxed/relaxed
// canonicalization, over the headers that matter to receivers (From, To, Subject, Date,
// Message-ID, MIME, and List-Unsubscribe with List-Unsubscribe-Post, which RFC 8058 requires to
// be signed). The key is a PEM file: RSA gives rsa-sha256, Ed25519 gives ed25519-sha256
// (RFC 8463). Thread-safe after Load.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "core/time.h"

namespace broadsheet::mail {

class DkimSigner {
 public:
  // kInvalidArgument naming the file when it is missing or not a private RSA or Ed25519 key.
  static Result<std::shared_ptr<const DkimSigner>> Load(const std::string& domain,
                                                        const std::string& selector,
                                                        const std::string& key_file);
  ~DkimSigner();

  // `message` (RFC 5322, CRLF line ends, as Compose writes it) with a DKIM-Signature header
  // added at the top.
  Result<std::string> Sign(const std::string& message, Timestamp now) const;

  const std::string& algorithm() const { return algorithm_; }

 private:
  DkimSigner() = default;
  std::string domain_, selector_, algorithm_;
  void* key_ = nullptr;  // EVP_PKEY*
};

}  // namespace broadsheet::mail

#include "mail/dkim.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <cstdio>
#include <map>
#include <vector>

#include <fmt/format.h>

namespace broadsheet::mail {
namespace {

constexpr const char* kSignedHeaders[] = {"from",
                                          "to",
                                          "subject",
                                          "date",
                                          "message-id",
                                          "mime-version",
                                          "content-type",
                                          "list-unsubscribe",
                                          "list-unsubscribe-post"};

std::string Base64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string Sha256(std::string_view data) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return digest;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Runs of spaces and tabs as one space, and none at the end (RFC 6376 3.4.2 and 3.4.4).
std::string CollapseSpace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The relaxed body: each line's spaces collapsed, trailing empty lines dropped, CRLF ends.
std::string RelaxedBody(std::string_view body) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\r\n", start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    std::string collapsed;
    bool space = false;
    for (char c : line) {
      if (IsSpace(c)) {
        space = true;
        continue;
      }
      if (space) collapsed += ' ';
      space = false;
      collapsed += c;
    }
    lines.push_back(std::move(collapsed));
    start = end + 2;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const std::string& line : lines) out += line + "\r\n";
  return out;
}

// "Name: value" of a (possibly folded) header, relaxed: "name:value".
std::string RelaxedHeader(std::string_view field) {
  const auto colon = field.find(':');
  std::string name(field.substr(0, colon));
  while (!name.empty() && IsSpace(name.back())) name.pop_back();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string value;
  for (char c : field.substr(colon + 1)) {
    if (c != '\r' && c != '\n') value += c;  // unfold
  }
  std::string collapsed = CollapseSpace(value);
  while (!collapsed.empty() && IsSpace(collapsed.front())) collapsed.erase(0, 1);
  return name + ":" + collapsed;
}

}  // namespace

Result<std::shared_ptr<const DkimSigner>> DkimSigner::Load(const std::string& domain,
                                                           const std::string& selector,
                                                           const std::string& key_file) {
  std::FILE* file = std::fopen(key_file.c_str(), "r");
  if (file == nullptr)
    return Fail(ErrorCode::kInvalidArgument, "cannot read the DKIM key " + key_file);
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (key == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                key_file + " is not a PEM private key (RSA or Ed25519) for DKIM");
  }
  const int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Fail(ErrorCode::kInvalidArgument, key_file + " must hold an RSA or Ed25519 key");
  }
  if (domain.empty() || selector.empty() ||
      (domain + selector).find_first_of("; \t\r\n=") != std::string::npos) {
    EVP_PKEY_free(key);
    return Fail(ErrorCode::kInvalidArgument, "DKIM needs a plain domain and selector");
  }
  std::shared_ptr<DkimSigner> signer(new DkimSigner());
  signer->domain_ = domain;
  signer->selector_ = selector;
  signer->algorithm_ = type == EVP_PKEY_RSA ? "rsa-sha256" : "ed25519-sha256";
  signer->key_ = key;
  return std::shared_ptr<const DkimSigner>(std::move(signer));
}

DkimSigner::~DkimSigner() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

Result<std::string> DkimSigner::Sign(const std::string& message, Timestamp now) const {
  const auto split = message.find("\r\n\r\n");
  if (split == std::string::npos)
    return Fail(ErrorCode::kInvalidArgument, "the message has no body");
  const std::string_view head(message.data(), split + 2);
  const std::string_view body(message.data() + split + 4, message.size() - split - 4);

  // Header fields, each with its folded continuation lines.
  std::map<std::string, std::string> fields;  // lower-case name -> relaxed "name:value"
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find("\r\n", start);
    while (end != std::string_view::npos && end + 2 < head.size() && IsSpace(head[end + 2]))
      end = head.find("\r\n", end + 2);
    if (end == std::string_view::npos) end = head.size();
    const std::string relaxed = RelaxedHeader(head.substr(start, end - start));
    fields.emplace(relaxed.substr(0, relaxed.find(':')), relaxed);  // the first of a name wins
    start = end + 2;
  }
  std::string names, data;
  for (const char* name : kSignedHeaders) {
    auto found = fields.find(name);
    if (found == fields.end()) continue;
    names += (names.empty() ? "" : ":") + std::string(name);
    data += found->second + "\r\n";
  }
  const std::string body_hash = Sha256(RelaxedBody(body));
  const std::string header = fmt::format(
      "DKIM-Signature: v=1; a={}; c=relaxed/relaxed; d={}; s={}; t={}; h={}; bh={}; b=", algorithm_,
      domain_, selector_, now, names,
      Base64(reinterpret_cast<const unsigned char*>(body_hash.data()), body_hash.size()));
  data += RelaxedHeader(header);

  auto* key = static_cast<EVP_PKEY*>(key_);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (context == nullptr) return Fail(ErrorCode::kInternal, "cannot start a DKIM signature");
  // RSA signs the data with SHA-256; Ed25519 signs the data's SHA-256 hash (RFC 8463).
  const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  const std::string input = rsa ? data : Sha256(data);
  size_t length = 0;
  std::vector<unsigned char> signature;
  const bool ok =
      EVP_DigestSignInit(context, nullptr, rsa ? EVP_sha256() : nullptr, nullptr, key) == 1 &&
      EVP_DigestSign(context, nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1 &&
      (signature.resize(length), true) &&
      EVP_DigestSign(context, signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) return Fail(ErrorCode::kInternal, "the DKIM signature failed");
  signature.resize(length);
  // Folded so that no header line runs past a thousand characters.
  std::string value = Base64(signature.data(), signature.size());
  std::string folded;
  for (size_t at = 0; at < value.size(); at += 72) folded += "\r\n\t" + value.substr(at, 72);
  return header + folded + "\r\n" + message;
}

}  // namespace broadsheet::mail

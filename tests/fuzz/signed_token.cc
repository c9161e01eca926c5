// Signed tokens: whatever a reader puts in a confirmation, manage or privacy link, a comment
// form's stamp or a staff cookie is split and checked without reading past it.
#include "auth/signed_token.h"
#include "auth/crypto.h"
#include "fuzz_util.h"

using namespace broadsheet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const bool ready = auth::InitCrypto().has_value();
  if (!ready) std::abort();
  static const auth::TokenSigner signer("fuzzing key");
  const std::string_view token = fuzz::AsText(data, size);
  for (size_t fields = 0; fields <= 3; ++fields) {
    if (signer.Verify("privacy", "", token, fields)) std::abort();  // a forgery
    (void)signer.Verify("form", "7", token, fields);
  }
  (void)signer.VerifySignature("preview", "5", {"1"}, token);
  return 0;
}

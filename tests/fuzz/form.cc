// application/x-www-form-urlencoded bodies and query strings: percent-decoding and splitting.
#include "fuzz_util.h"
#include "http/message.h"

using namespace broadsheet;
using namespace broadsheet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  (void)PercentDecode(text, true);
  (void)PercentDecode(text, false);
  (void)ParseQuery(text);
  Request request;
  request.method = Method::kPost;
  request.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  request.body = std::string(text);
  request.query = std::string(text);
  const auto fields = request.FormFields();
  (void)FieldValue(fields, "csrf");
  (void)request.QueryParam("page");
  // Whatever decodes must encode back to something that decodes to it again.
  if (auto decoded = PercentDecode(text)) {
    const auto again = PercentDecode(PercentEncode(*decoded));
    if (!again || *again != *decoded) __builtin_trap();
  }
  return 0;
}

// multipart/form-data (RFC 7578): the first line of the input is the Content-Type header's
// value (with its boundary), the rest is the body.
#include "fuzz_util.h"
#include "http/message.h"

using namespace broadsheet;
using namespace broadsheet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view input = fuzz::AsText(data, size);
  const size_t newline = input.find('\n');
  const std::string_view content_type =
      newline == std::string_view::npos ? input : input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  (void)ParseMultipart(body, content_type);
  Request request;
  request.method = Method::kPost;
  request.headers = {{"content-type", std::string(content_type)}};
  request.body = std::string(body);
  (void)request.FormFields();
  (void)request.Files();
  return 0;
}

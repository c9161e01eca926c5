// The Cookie header: finding a cookie's value among whatever a client sends.
#include "fuzz_util.h"
#include "http/message.h"

using namespace broadsheet;
using namespace broadsheet::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  Request request;
  request.headers = {{"cookie", std::string(fuzz::AsText(data, size))}};
  for (const char* name : {"broadsheet_session", "csrf", "a", ""}) (void)request.Cookie(name);
  return 0;
}

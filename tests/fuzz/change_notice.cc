// A notification's payload on the changes channel: anyone who can connect to the database can
// send one, so parsing never fails, and a comment notice it accepts is exactly one the store
// could have written.
#include <cstdlib>

#include "fuzz_util.h"
#include "storage/change_listener.h"

using namespace broadsheet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view payload = fuzz::AsText(data, size);
  const storage::ChangeNotice notice = storage::ParseChangeNotice(payload);
  if (notice.kind == storage::ChangeNotice::Kind::kComments &&
      (notice.post_id <= 0 ||
       storage::ChangeNotice::Comments(notice.post_id, notice.origin) != payload)) {
    std::abort();
  }
  return 0;
}

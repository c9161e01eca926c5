// A post of a content folder: YAML front matter and a Markdown body, imported the way
// `broadsheet import markdown` does; the whole input is also rendered as staff and as reader
// Markdown.
#include <filesystem>

#include "fuzz_util.h"
#include "importers/content_folder.h"
#include "markdown/markdown.h"

using namespace broadsheet;

namespace {

// A content folder of this process with one post; removed at exit.
struct Folder {
  Folder()
      : root(std::filesystem::temp_directory_path() /
             ("broadsheet-fuzz-content-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(root / "posts");
    std::filesystem::create_directories(root / "uploads");
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  std::filesystem::path root;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static Folder folder;
  const std::string_view text = fuzz::AsText(data, size);
  (void)markdown::ToHtml(text, {.allow_html = true});
  (void)markdown::ToHtml(text, {.allow_html = false, .rewrite_url = [](std::string_view url, bool) {
                                  return std::string(url);
                                }});
  fuzz::ScratchFile post(".md");
  std::filesystem::copy_file(post.Write(text), folder.root / "posts" / "fuzz.md",
                             std::filesystem::copy_options::overwrite_existing);
  (void)importers::ImportFolder(fuzz::SharedStore(), folder.root,
                                {.uploads_dir = folder.root / "uploads", .now = 1700000000});
  return 0;
}

// Files compiled into the binary by cmake/embed.cmake: the default theme and the demo
// publication. The tables are immutable and safe to read from any thread.
#pragma once

#include <string_view>
#include <vector>

namespace broadsheet::embedded {

struct File {
  std::string_view path;  // relative to the embedded folder, '/'-separated
  std::string_view data;
};

const std::vector<File>& DefaultTheme();  // themes/default
const std::vector<File>& DemoSite();      // demo/ (a content folder)
const std::vector<File>& EditorBundle();  // editor/, bundled: assets/editor.js

}  // namespace broadsheet::embedded

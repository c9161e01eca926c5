// The `broadsheet` command line. Run parses argv, runs one command and returns the exit code:
// 0 on success, 1 when the command failed, 2 for bad usage (unknown command, missing argument).
#pragma once

namespace broadsheet::cli {

int Run(int argc, char** argv);

}  // namespace broadsheet::cli

#include "cli/cli.h"

int main(int argc, char** argv) { return broadsheet::cli::Run(argc, argv); }

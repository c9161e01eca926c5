#include <malloc.h>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // glibc gives the top of the heap back to the kernel whenever more than 128 KiB lies free
  // there, and tunes that bound by the program's history. SQLite allocates and frees a page
  // cache of about that size for every statement with RETURNING (it collects the rows in a
  // temporary table), so a write-heavy run could spend more time in brk() and page faults than
  // in SQLite, depending on what happened to sit at the top of the heap. Fixed bounds make the
  // cost the same every run: up to 8 MiB free at the top is kept, and blocks of 1 MiB and more
  // are mapped on their own.
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  return broadsheet::cli::Run(argc, argv);
}

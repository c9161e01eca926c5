#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzzing build for SECONDS each, one after another:
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Each starts from its seed corpus (tests/fuzz/corpus/<target>/, read only); new interesting
# inputs go to BUILD_DIR/fuzz-corpus/<target>/ and a crashing input to
# BUILD_DIR/fuzz-crashes/<target>/. Fails on the first target that finds a crash.
set -euo pipefail
build=${1:?build folder}
seconds=${2:?seconds per target}
shift 2
source_dir=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for binary in "$build"/fuzz/fuzz_*; do targets+=("$(basename "$binary" | sed 's/^fuzz_//')"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$source_dir/../sanitizers/lsan.supp:print_suppressions=0}
for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  crashes="$build/fuzz-crashes/$target"
  mkdir -p "$corpus" "$crashes"
  echo "fuzz: $target for ${seconds}s"
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "$source_dir/corpus/$target" 2>"$build/fuzz-$target.log" ||
    { tail -n 60 "$build/fuzz-$target.log"; echo "fuzz: $target found a crash: $crashes"; exit 1; }
  grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/fuzz-$target.log" |
    tr '\n' ' '
  echo
done

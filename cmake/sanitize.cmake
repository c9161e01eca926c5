# Sanitizer and fuzzing builds (docs/testing.md). Each lives in its own build folder:
#   -DBROADSHEET_SANITIZE=address,undefined   (build-asan; with clang also -DBROADSHEET_FUZZ=ON)
#   -DBROADSHEET_SANITIZE=thread              (build-tsan)
# UBSan does not recover, so a report ends the process with a failure instead of scrolling past.
set(BROADSHEET_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined | thread | empty")
option(BROADSHEET_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

if(BROADSHEET_SANITIZE)
  if(BROADSHEET_SANITIZE MATCHES "thread" AND BROADSHEET_SANITIZE MATCHES "address")
    message(FATAL_ERROR "ThreadSanitizer and AddressSanitizer need separate builds")
  endif()
  # Line tables are enough for the reports' stack traces and much cheaper to build than -g.
  add_compile_options(-fsanitize=${BROADSHEET_SANITIZE} -fno-omit-frame-pointer
                      $<IF:$<CXX_COMPILER_ID:Clang>,-gline-tables-only,-g1>)
  add_link_options(-fsanitize=${BROADSHEET_SANITIZE})
  if(BROADSHEET_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=all)
  endif()
  # Boost's own assertions stay off, as in the Release build that ships: Beast 1.74's chunk parser
  # asserts "n >= 5" when a final chunk arrives split across reads, although the code after it
  # asks for more input correctly (boostorg/beast#2861, fixed in Boost 1.86). Broadsheet's own
  # assert() checks stay on.
  add_compile_definitions(BOOST_DISABLE_ASSERTS)
endif()

if(BROADSHEET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BROADSHEET_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Libraries get coverage instrumentation; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# broadsheet_embed(TARGET NAME ROOT DIR SYMBOL S): compiles every file under DIR into
# TARGET as a table `broadsheet::embedded::S()` of {relative path, bytes}, so the binary
# carries its default theme and demo publication with it. GENERATED lists the files of a DIR
# that the build itself writes (they need not exist when CMake runs), instead of reading DIR.
function(broadsheet_embed)
  cmake_parse_arguments(ARG "" "TARGET;ROOT;SYMBOL" "GENERATED" ${ARGN})
  if(ARG_GENERATED)
    set(files ${ARG_GENERATED})
  else()
    file(GLOB_RECURSE files CONFIGURE_DEPENDS "${ARG_ROOT}/*")
  endif()
  set(output "${CMAKE_CURRENT_BINARY_DIR}/embedded_${ARG_SYMBOL}.cc")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DROOT=${ARG_ROOT} -DSYMBOL=${ARG_SYMBOL} -DOUTPUT=${output}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS ${files} "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    COMMENT "Embedding ${ARG_ROOT}")
  target_sources(${ARG_TARGET} PRIVATE "${output}")
endfunction()

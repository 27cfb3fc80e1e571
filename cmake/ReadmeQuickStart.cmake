# multiproc_extract_quick_start(README OUT [STRIP_INCLUDE_ROOT]): writes the first ```cpp block of
# README to OUT, byte for byte; with STRIP_INCLUDE_ROOT, "multiproc/" is dropped from its includes
# (for the build tree, where headers resolve from the source root). A README without such a block
# is an error: the quick start must stay buildable.
function(multiproc_extract_quick_start readme out)
  cmake_parse_arguments(PARSE_ARGV 2 arg "STRIP_INCLUDE_ROOT" "" "")
  file(READ "${readme}" text)
  string(FIND "${text}" "```cpp\n" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "${readme} has no ```cpp block")
  endif()
  math(EXPR start "${start} + 7")
  string(SUBSTRING "${text}" ${start} -1 rest)
  string(FIND "${rest}" "```" length)
  string(SUBSTRING "${rest}" 0 ${length} code)
  if(arg_STRIP_INCLUDE_ROOT)
    string(REPLACE "#include \"multiproc/" "#include \"" code "${code}")
  endif()
  file(WRITE "${out}.new" "${code}")
  file(COPY_FILE "${out}.new" "${out}" ONLY_IF_DIFFERENT)
  # Re-run the configure step when the README changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${readme}")
endfunction()

# tessera_fuzz_target(NAME SOURCES ... DEPS ...)
# A fuzz target is one file defining LLVMFuzzerTestOneInput over a pure parser.
# - Always: `fuzz_NAME_replay`, which runs every file of tests/fuzz/corpus/NAME/ through the target
#   (a ctest test, so the seed corpus and every crash ever found replay in the normal suite).
# - With clang and -DTESSERA_LIBFUZZER=ON: `fuzz_NAME`, a libFuzzer binary for exploring.
option(TESSERA_LIBFUZZER "Also build libFuzzer binaries (needs clang)" OFF)

function(tessera_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(fuzz_${name}_replay ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/cmake/fuzz_replay_main.cpp)
  target_link_libraries(fuzz_${name}_replay PRIVATE ${ARG_DEPS} tessera_warnings)
  add_test(NAME "fuzz: ${name} corpus" COMMAND fuzz_${name}_replay ${corpus})
  set_tests_properties("fuzz: ${name} corpus" PROPERTIES LABELS fuzz TIMEOUT 300)
  if(TESSERA_LIBFUZZER)
    add_executable(fuzz_${name} ${ARG_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS} tessera_warnings)
  endif()
endfunction()

# Target helpers: one warning policy, one way to declare libraries and unit tests.

add_library(tessera_warnings INTERFACE)
# GCC 12 false positives inside std::string/std::optional at -O2/-O3, off so that Release builds
# with -Werror: -Wrestrict (GCC bug 105329) and -Wmaybe-uninitialized (GCC bug 107919 and kin).
# The Debug and ASan+UBSan builds have the sanitizers for the real thing.
target_compile_options(tessera_warnings INTERFACE -Wall -Wextra -Werror -Wnon-virtual-dtor
  -Wno-missing-field-initializers
  "$<$<CXX_COMPILER_ID:GNU>:-Wshadow=local;-Wno-restrict;-Wno-maybe-uninitialized>")
# Asio with C++20 coroutines; no deprecated interfaces.
target_compile_definitions(tessera_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE)

if(TESSERA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Catch2 v2 main, compiled once for every unit-test binary.
add_library(tessera_catch_main STATIC ${PROJECT_SOURCE_DIR}/cmake/catch_main.cpp)
target_link_libraries(tessera_catch_main PUBLIC Catch2::Catch2)

# tessera_library(NAME SOURCES ... DEPS ...): libs/<topic> as a static library `tessera_<topic>`.
function(tessera_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(tessera_${name} STATIC ${ARG_SOURCES})
  add_library(tessera::${name} ALIAS tessera_${name})
  target_include_directories(tessera_${name} PUBLIC ${PROJECT_SOURCE_DIR}/libs)
  target_link_libraries(tessera_${name} PUBLIC ${ARG_DEPS} PRIVATE tessera_warnings)
endfunction()

# tessera_unit_test(NAME SOURCES ... DEPS ...): a Catch2 binary whose cases ctest runs one by one.
function(tessera_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE tessera_catch_main ${ARG_DEPS} tessera_warnings)
  catch_discover_tests(${name} TEST_PREFIX "${name}: " PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

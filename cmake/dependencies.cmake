# Third-party libraries. On Linux they come from Debian's -dev packages
# (tools/install-deps.sh); for the windows-cross preset, tools/win-deps.sh builds them
# from Debian's source packages into a private prefix that the toolchain file searches.
# Every library is exposed under one hamirror::<name> target so the rest of the build
# never asks which platform it is on.

if(WIN32)
  find_package(libuv CONFIG REQUIRED)
  add_library(hamirror_dep_uv INTERFACE)
  target_link_libraries(hamirror_dep_uv INTERFACE uv_a)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
  add_library(hamirror_dep_uv INTERFACE)
  target_link_libraries(hamirror_dep_uv INTERFACE PkgConfig::LIBUV)
endif()
add_library(hamirror::uv ALIAS hamirror_dep_uv)

find_package(GTest CONFIG REQUIRED)
find_package(pugixml CONFIG REQUIRED)

# Header-only libraries. xxHash is used inlined (XXH_INLINE_ALL) so that Linux and
# Windows hash with identical code and no library to link.
find_path(HAMIRROR_XXHASH_INCLUDE xxhash.h REQUIRED)
add_library(hamirror_dep_xxhash INTERFACE)
target_include_directories(hamirror_dep_xxhash SYSTEM INTERFACE ${HAMIRROR_XXHASH_INCLUDE})
target_compile_definitions(hamirror_dep_xxhash INTERFACE XXH_INLINE_ALL)
add_library(hamirror::xxhash ALIAS hamirror_dep_xxhash)

find_path(HAMIRROR_MSGPACK_INCLUDE msgpack.hpp REQUIRED)
add_library(hamirror_dep_msgpack INTERFACE)
target_include_directories(hamirror_dep_msgpack SYSTEM INTERFACE ${HAMIRROR_MSGPACK_INCLUDE})
target_compile_definitions(hamirror_dep_msgpack INTERFACE MSGPACK_NO_BOOST)
add_library(hamirror::msgpack ALIAS hamirror_dep_msgpack)

find_path(HAMIRROR_TOMLPP_INCLUDE toml++/toml.h REQUIRED)
add_library(hamirror_dep_tomlpp INTERFACE)
target_include_directories(hamirror_dep_tomlpp SYSTEM INTERFACE ${HAMIRROR_TOMLPP_INCLUDE})
target_compile_definitions(hamirror_dep_tomlpp INTERFACE TOML_HEADER_ONLY=1)
add_library(hamirror::tomlpp ALIAS hamirror_dep_tomlpp)

# rapidcheck ships no Windows build here: property tests are Linux-only.
if(NOT WIN32)
  find_package(rapidcheck CONFIG REQUIRED)
  if(HAMIRROR_BUILD_BENCH)
    find_package(benchmark CONFIG REQUIRED)
  endif()
endif()

find_path(HAMIRROR_CLI11_INCLUDE CLI/CLI.hpp REQUIRED)
add_library(hamirror_dep_cli11 INTERFACE)
target_include_directories(hamirror_dep_cli11 SYSTEM INTERFACE ${HAMIRROR_CLI11_INCLUDE})
add_library(hamirror::cli11 ALIAS hamirror_dep_cli11)

# cpp-httplib: the daemon's loopback control API and the CLI's client. Debian builds it
# as a shared library (libcpp-httplib.so, with OpenSSL/zlib/brotli support flags in its
# .pc file); for Windows, tools/win-deps.sh installs the source package's header-only
# build (no TLS: the API is loopback only) with its CMake package.
if(WIN32)
  find_package(httplib CONFIG REQUIRED)
  add_library(hamirror_dep_httplib INTERFACE)
  target_link_libraries(hamirror_dep_httplib INTERFACE httplib::httplib ws2_32)
else()
  pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  add_library(hamirror_dep_httplib INTERFACE)
  target_link_libraries(hamirror_dep_httplib INTERFACE PkgConfig::CPPHTTPLIB)
endif()
add_library(hamirror::httplib ALIAS hamirror_dep_httplib)

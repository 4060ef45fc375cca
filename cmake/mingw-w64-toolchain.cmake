# CMake toolchain file: cross-build hamirror for 64-bit Windows with Debian's mingw-w64.
#
#   cmake -G Ninja -S . -B build/win \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-toolchain.cmake
#
# Uses the "-posix" (winpthreads) compilers: the default x86_64-w64-mingw32-g++ is the
# win32-threads build, with which std::mutex / std::jthread do not compile.
# Libraries are looked up only in the mingw sysroot and in HAMIRROR_WIN_DEPS_PREFIX,
# which tools/win-deps.sh fills (libuv, GoogleTest, pugixml, header-only libraries).
# Tests run under Wine through tools/wine-run.sh (CMAKE_CROSSCOMPILING_EMULATOR).

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(_hm_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER   ${_hm_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_hm_triple}-g++-posix)
set(CMAKE_RC_COMPILER  ${_hm_triple}-windres)
# The gcc-ar / gcc-ranlib wrappers also handle LTO objects.
find_program(CMAKE_AR     NAMES ${_hm_triple}-gcc-ar-posix     REQUIRED)
find_program(CMAKE_RANLIB NAMES ${_hm_triple}-gcc-ranlib-posix REQUIRED)

# Private prefix of the Windows builds of the third-party libraries.
get_filename_component(_hm_default_prefix "${CMAKE_CURRENT_LIST_DIR}/../build/win-deps/prefix" ABSOLUTE)
set(HAMIRROR_WIN_DEPS_PREFIX "${_hm_default_prefix}"
    CACHE PATH "Prefix holding the Windows builds of hamirror's dependencies (tools/win-deps.sh)")
get_filename_component(_hm_deps_prefix "${HAMIRROR_WIN_DEPS_PREFIX}" ABSOLUTE)
# try_compile() projects re-read this file: hand them the same value.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HAMIRROR_WIN_DEPS_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/${_hm_triple} "${_hm_deps_prefix}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Never let pkg-config hand out the Linux host's flags (/usr/include, /usr/lib).
set(ENV{PKG_CONFIG_LIBDIR} "${_hm_deps_prefix}/lib/pkgconfig:${_hm_deps_prefix}/share/pkgconfig")

# Target Windows 10 APIs. (add_compile_definitions() is not allowed in a toolchain file.)
set(CMAKE_C_FLAGS_INIT   "-D_WIN32_WINNT=0x0A00")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00")
# Fully static executables: they import only Windows system DLLs (no libstdc++-6.dll,
# libgcc_s_seh-1.dll or libwinpthread-1.dll to ship next to them).
set(CMAKE_EXE_LINKER_FLAGS_INIT    "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

# Run cross-built programs (tests, gtest_discover_tests) under Wine.
get_filename_component(_hm_wine_run "${CMAKE_CURRENT_LIST_DIR}/../tools/wine-run.sh" ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${_hm_wine_run}")

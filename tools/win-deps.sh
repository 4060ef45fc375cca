#!/usr/bin/env bash
# Builds the Windows (mingw-w64) versions of hamirror's third-party libraries into a
# private prefix, from Debian's own packages:
#   libuv (static), GoogleTest + GoogleMock (static), pugixml (static)  <- source packages
#   msgpack-cxx, toml++, xxhash, CLI11 (headers only)                          <- binary packages
#
# Usage: tools/win-deps.sh [prefix]        (default prefix: <repo>/build/win-deps/prefix)
# Environment: HAMIRROR_WIN_DEPS_UPDATE=1  refresh the private apt indexes now
#              HAMIRROR_WIN_DEPS_FORCE=1   rebuild / reinstall everything
#              HAMIRROR_JOBS=N             build parallelism (default 2)
#
# apt is used with a private configuration derived at run time from the machine's own
# sources (types changed to deb + deb-src); /etc/apt is only read. Downloads, indexes and
# build trees are kept under <repo>/build/win-deps/. Each library has a stamp file
# (<prefix>/.stamps/<name>) holding its Debian version and build recipe; a library whose
# stamp matches is skipped, so a run with everything present takes a few seconds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
work=$repo/build/win-deps
toolchain=$repo/cmake/mingw-w64-toolchain.cmake
jobs=${HAMIRROR_JOBS:-2}
force=${HAMIRROR_WIN_DEPS_FORCE:-0}

say() { echo "win-deps: $*"; }
die() { echo "win-deps: ERROR: $*" >&2; exit 1; }
trap 'rc=$?; echo "win-deps: ERROR: command failed (exit $rc, line $LINENO): $BASH_COMMAND" >&2' ERR

for tool in apt-get dpkg-source dpkg-deb cmake ninja flock x86_64-w64-mingw32-g++-posix; do
  command -v "$tool" >/dev/null ||
    die "'$tool' not found; install the Windows build packages first (tools/install-deps.sh windows)"
done
[ -f "$toolchain" ] || die "toolchain file missing: $toolchain"

mkdir -p "${1:-$work/prefix}" || die "cannot create prefix directory '${1:-$work/prefix}'"
prefix=$(cd "${1:-$work/prefix}" && pwd)
stamps=$prefix/.stamps
apt_dir=$work/apt
logs=$work/logs
mkdir -p "$stamps" "$logs" "$work/src" "$work/debs" "$work/build" \
         "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"

# One run at a time per work directory.
exec 8>"$work/.lock"
flock -n 8 || { say "another win-deps.sh is running; waiting"; flock 8; }

# ---------------------------------------------------------------------------------------
# Private apt configuration, derived from the machine's sources.
# ---------------------------------------------------------------------------------------
gen=$(mktemp -d)
tmp_dirs=("$gen")
cleanup() { rm -rf "${tmp_dirs[@]}"; }
trap cleanup EXIT

shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  sed -E 's/^Types:.*/Types: deb deb-src/' "$f" >"$gen/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -nE 's/^[[:space:]]*deb(-src)?[[:space:]]+(.*)$/\2/p' "$f" | sort -u |
    sed -E 's/^(.*)$/deb \1\ndeb-src \1/' >"$gen/$(basename "$f" .list).list"
done
shopt -u nullglob
compgen -G "$gen/*" >/dev/null || die "no apt sources found in /etc/apt (sources.list or sources.list.d/*.sources)"

if ! diff -rq "$gen" "$apt_dir/sources.list.d" >/dev/null 2>&1; then
  rm -rf "$apt_dir/sources.list.d" "$apt_dir/updated"
  mkdir -p "$apt_dir/sources.list.d"
  cp "$gen"/* "$apt_dir/sources.list.d/"
fi

apt_opts=(-o Dir::Etc::SourceList=/dev/null
          -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
          -o "Dir::State::Lists=$apt_dir/lists"
          -o "Dir::Cache=$apt_dir/cache")
# As root apt downloads as user _apt, which cannot write into these folders.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
apt_get() { apt-get "${apt_opts[@]}" "$@"; }

if [ "${HAMIRROR_WIN_DEPS_UPDATE:-0}" = 1 ] || [ ! -f "$apt_dir/updated" ] ||
   [ -n "$(find "$apt_dir/updated" -mtime +6)" ]; then
  say "refreshing private apt indexes (deb + deb-src)"
  if apt_get -qq update >"$logs/apt-update.log" 2>&1; then
    touch "$apt_dir/updated"
  elif [ -f "$apt_dir/updated" ]; then
    say "warning: apt-get update failed (log: $logs/apt-update.log); using the previous indexes"
  else
    tail -n 20 "$logs/apt-update.log" >&2
    die "apt-get update failed (log: $logs/apt-update.log)"
  fi
fi

# Candidate version of a source package (from the .dsc file name apt would fetch).
src_version() {
  local out
  out=$(apt_get -qq source --print-uris "$1" 2>/dev/null) || true
  sed -nE "s/^'[^']*' $1_([^ ]+)\\.dsc .*/\\1/p" <<<"$out" | head -n1 | sed 's/%3a/:/gI'
}
# Candidate version of a binary package (from the .deb file name apt would fetch).
deb_version() {
  local out
  out=$(apt_get -qq download --print-uris "$1" 2>/dev/null) || true
  sed -nE "s/^'[^']*' $1_([^_ ]+)_[^_ ]+\\.deb .*/\\1/p" <<<"$out" | head -n1 | sed 's/%3a/:/gI'
}

up_to_date() {  # <stamp file> <wanted content>
  [ "$force" != 1 ] && [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

toolchain_sum=$(sha256sum "$toolchain" | cut -c1-16)

# ---------------------------------------------------------------------------------------
# Libraries built from Debian source packages.
# ---------------------------------------------------------------------------------------
build_lib() {  # <name> <source package> <cmake args...>
  local name=$1 srcpkg=$2; shift 2
  local ver want stamp dl srcdir bdir log t0
  ver=$(src_version "$srcpkg")
  [ -n "$ver" ] || die "no source package '$srcpkg' in the private apt indexes (try HAMIRROR_WIN_DEPS_UPDATE=1)"
  stamp=$stamps/$name
  want="$srcpkg $ver toolchain=$toolchain_sum cmake: $*"
  if up_to_date "$stamp" "$want"; then say "$name $ver: up to date"; return; fi
  t0=$SECONDS
  log=$logs/$name.log
  : >"$log"

  dl=$work/src/${srcpkg}_$ver
  if ! compgen -G "$dl/*.dsc" >/dev/null; then
    say "$name $ver: downloading Debian source package"
    local tmp; tmp=$(mktemp -d "$work/src/.dl.XXXXXX"); tmp_dirs+=("$tmp")
    (cd "$tmp" && apt_get -q source --download-only "$srcpkg") >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "downloading source package '$srcpkg' failed (log: $log)"; }
    compgen -G "$tmp/${srcpkg}_${ver#*:}.dsc" >/dev/null ||
      die "apt-get source fetched an unexpected version of '$srcpkg' (wanted $ver): $(ls "$tmp")"
    rm -rf "$dl"; mv "$tmp" "$dl"
  fi
  srcdir=$work/src/$srcpkg-$ver
  if [ ! -f "$srcdir/CMakeLists.txt" ]; then
    say "$name $ver: unpacking"
    rm -rf "$srcdir" "$srcdir.tmp"
    local dsc; dsc=$(compgen -G "$dl/*.dsc" | head -n1)
    dpkg-source --no-check -x "$dsc" "$srcdir.tmp" >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "unpacking $dsc failed (log: $log)"; }
    mv "$srcdir.tmp" "$srcdir"
  fi

  say "$name $ver: building for Windows (-j$jobs)"
  bdir=$work/build/$name
  rm -rf "$bdir"
  rm -f "$stamp"
  { cmake -G Ninja -S "$srcdir" -B "$bdir" \
        -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
        -DHAMIRROR_WIN_DEPS_PREFIX="$prefix" \
        -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF \
        "$@" &&
    cmake --build "$bdir" -j "$jobs" &&
    cmake --install "$bdir"
  } >>"$log" 2>&1 ||
    { tail -n 30 "$log" >&2; die "building $name failed (log: $log)"; }
  printf '%s\n' "$want" >"$stamp"
  say "$name $ver: installed ($((SECONDS - t0)) s)"
}

# ---------------------------------------------------------------------------------------
# Header-only libraries: headers from Debian's binary packages.
# ---------------------------------------------------------------------------------------
install_headers() {  # <name> <binary package>
  local name=$1 pkg=$2
  local ver want stamp manifest deb tmp t0
  ver=$(deb_version "$pkg")
  [ -n "$ver" ] || die "no binary package '$pkg' in the private apt indexes (try HAMIRROR_WIN_DEPS_UPDATE=1)"
  stamp=$stamps/$name
  manifest=$stamps/$name.files
  want="$pkg $ver headers"
  if up_to_date "$stamp" "$want"; then say "$name $ver: up to date"; return; fi
  t0=$SECONDS
  log=$logs/$name.log
  : >"$log"

  deb=$(compgen -G "$work/debs/${pkg}_${ver#*:}_*.deb" | head -n1 || true)
  if [ -z "$deb" ]; then
    say "$name $ver: downloading $pkg"
    (cd "$work/debs" && apt_get -q download "$pkg") >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "downloading '$pkg' failed (log: $log)"; }
    deb=$(compgen -G "$work/debs/${pkg}_${ver#*:}_*.deb" | head -n1 || true)
    [ -n "$deb" ] || die "apt-get download did not produce ${pkg}_${ver}_*.deb in $work/debs"
  fi
  tmp=$(mktemp -d); tmp_dirs+=("$tmp")
  dpkg-deb -x "$deb" "$tmp" >>"$log" 2>&1 || die "dpkg-deb -x $deb failed"
  [ -d "$tmp/usr/include" ] || die "$deb contains no usr/include"

  # Remove the headers of a previously installed version, then copy the new ones.
  rm -f "$stamp"
  if [ -f "$manifest" ]; then
    while IFS= read -r f; do rm -f "$prefix/include/$f"; done <"$manifest"
  fi
  mkdir -p "$prefix/include"
  cp -a "$tmp/usr/include/." "$prefix/include/"
  (cd "$tmp/usr/include" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$manifest"
  printf '%s\n' "$want" >"$stamp"
  say "$name $ver: headers installed ($(wc -l <"$manifest") files, $((SECONDS - t0)) s)"
}

install_headers msgpack-cxx libmsgpack-cxx-dev
install_headers tomlplusplus libtomlplusplus-dev
install_headers xxhash libxxhash-dev
install_headers cli11 libcli11-dev

build_lib pugixml pugixml -DPUGIXML_BUILD_TESTS=OFF
build_lib googletest googletest -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=ON
build_lib libuv libuv1 -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
# cpp-httplib: its header-only install (httplib.h plus the httplib::httplib CMake package), no TLS or compression.
build_lib cpp-httplib cpp-httplib -DHTTPLIB_USE_OPENSSL_IF_AVAILABLE=OFF -DHTTPLIB_USE_ZLIB_IF_AVAILABLE=OFF -DHTTPLIB_USE_BROTLI_IF_AVAILABLE=OFF

say "done: prefix $prefix"

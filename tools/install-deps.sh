#!/usr/bin/env bash
# Installs the Debian packages hamirror needs, only those that are missing.
# Idempotent: when everything is present it asks dpkg and returns in about a second.
# Usage: tools/install-deps.sh [linux|windows|all]   (default: all)
set -euo pipefail

what=${1:-all}
linux_pkgs=(build-essential cmake ninja-build ccache pkg-config
            libuv1-dev libmsgpack-cxx-dev libpugixml-dev libtomlplusplus-dev
            librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev libxxhash-dev libcli11-dev libssl-dev libcpp-httplib-dev libfuse3-dev fuse3 iputils-arping iproute2 nftables sqlite3 rsync
            binutils)
windows_pkgs=(g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix mingw-w64 wine
              dpkg-dev xz-utils)

case "$what" in
  linux) pkgs=("${linux_pkgs[@]}") ;;
  windows) pkgs=("${windows_pkgs[@]}") ;;
  all) pkgs=("${linux_pkgs[@]}" "${windows_pkgs[@]}") ;;
  *) echo "usage: $0 [linux|windows|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"

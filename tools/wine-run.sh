#!/usr/bin/env bash
# Runs a Windows program under Wine and exits with its exit code
# (the CMAKE_CROSSCOMPILING_EMULATOR of cmake/mingw-w64-toolchain.cmake).
# Without arguments it only makes sure the Wine prefix exists.
set -eu
export WINEDEBUG=${WINEDEBUG:--all}
export WINEPREFIX=${WINEPREFIX:-$HOME/.cache/hamirror-wine}
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$(dirname "$WINEPREFIX")"
  # flock: tests started in parallel must not initialise the prefix twice.
  ( flock 9
    [ -f "$WINEPREFIX/system.reg" ] ||
      WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1 ||
      { echo "wine-run: wineboot -i failed for $WINEPREFIX" >&2; exit 1; }
  ) 9>"$WINEPREFIX.lock"
fi
[ $# -eq 0 ] && exit 0
exec wine "$@"

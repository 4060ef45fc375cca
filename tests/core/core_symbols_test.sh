#!/usr/bin/env bash
# Checks that a static library calls nothing outside an allowlist of undefined
# symbols (see runtime/core/allowed-symbols.txt), so runtime/core cannot reach the OS,
# a clock, a random source, a thread or a socket behind the I/O seam's back.
#
#   core_symbols_test.sh LIBRARY ALLOWLIST                 passes when all are allowed
#   core_symbols_test.sh LIBRARY ALLOWLIST --expect SYMBOL passes only when the check
#                                                          rejects SYMBOL (proves it bites)
set -euo pipefail
library=$1 allowlist=$2 expect=${4:-}
[ -f "$library" ] || { echo "no such library: $library" >&2; exit 2; }

# Symbols defined inside the archive are its own business; only what it needs from
# outside counts.
defined=$(nm -C --defined-only "$library" | awk 'NF>=3 {$1=""; $2=""; sub(/^  /,""); print}' | sort -u)
undefined=$(nm -C -u "$library" | awk '$1=="U" {$1=""; sub(/^ /,""); print}' | sort -u)
needed=$(comm -23 <(printf '%s\n' "$undefined") <(printf '%s\n' "$defined") | sed '/^$/d')

patterns=$(grep -vE '^[[:space:]]*(#|$)' "$allowlist" | sed 's/^/^(/; s/$/)$/')
violations=$(printf '%s\n' "$needed" | grep -vE -f <(printf '%s\n' "$patterns") || true)

count=$(printf '%s\n' "$needed" | sed '/^$/d' | wc -l)
if [ -n "$expect" ]; then
  if printf '%s\n' "$violations" | grep -qxF -- "$expect"; then
    echo "ok: the check rejects the planted call '$expect'"
    exit 0
  fi
  echo "FAIL: the planted call '$expect' was not rejected; violations were:" >&2
  printf '%s\n' "${violations:-<none>}" >&2
  exit 1
fi
if [ -n "$violations" ]; then
  echo "FAIL: $(basename "$library") calls outside the I/O seam (not in $(basename "$allowlist")):" >&2
  printf '%s\n' "$violations" | sed 's/^/  /' >&2
  echo "Protocol code must use runtime/io (io::Io) instead; see runtime/core/README.md." >&2
  exit 1
fi
echo "ok: $count undefined symbols of $(basename "$library"), all on the allowlist"

#!/usr/bin/env bash
# Makes the Windows package from a windows-cross build:
#   <build-dir>/hamirror-windows-x64.zip
# with hamirrord.exe, hamirror.exe, docs/INSTALL-WINDOWS.md, the example configuration and
# scripts for Windows (checked by the test windows_package_examples_pass_confcheck) and
# SafeKit's samples (copied from ../shared/samples, which stays untouched).
# Usage: tools/package-windows.sh [build-dir]   (default: build/windows-cross, built first
#        with: cmake --preset windows-cross && cmake --build build/windows-cross)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(dirname "$here")
build=$(cd "${1:-$source_dir/build/windows-cross}" && pwd)
samples=$source_dir/../shared/samples
zip_file=$build/hamirror-windows-x64.zip

for program in runtime/daemon/hamirrord.exe runtime/cli/hamirror.exe; do
  [ -f "$build/$program" ] || { echo "package-windows: $build/$program is missing: build the windows-cross preset first" >&2; exit 1; }
done
for sample in start_prim.cmd stop_prim.cmd userconfig.safekit.xml; do
  [ -f "$samples/$sample" ] || { echo "package-windows: $samples/$sample is missing (SafeKit's samples)" >&2; exit 1; }
done

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
package=$staging/hamirror
mkdir -p "$package/examples" "$package/samples"
# Stripped copies: the build keeps its debug information, the package does not need it.
for program in runtime/daemon/hamirrord.exe runtime/cli/hamirror.exe; do
  x86_64-w64-mingw32-strip -o "$package/$(basename "$program")" "$build/$program"
done
cp "$source_dir/docs/INSTALL-WINDOWS.md" "$package/"
cp "$source_dir/runtime/daemon/node-windows.example.toml" "$package/examples/node.toml"
cp "$source_dir/runtime/daemon/userconfig-windows.example.xml" "$package/examples/userconfig.xml"
cp "$source_dir/runtime/daemon/start_prim.example.cmd" "$package/examples/start_prim.cmd"
cp "$source_dir/runtime/daemon/stop_prim.example.cmd" "$package/examples/stop_prim.cmd"
cp "$source_dir/runtime/daemon/witness.example.toml" "$package/examples/witness.toml"
cp "$samples/start_prim.cmd" "$samples/stop_prim.cmd" "$samples/userconfig.safekit.xml" "$package/samples/"

rm -f "$zip_file"
# zip when installed (Debian package zip); else python3's zipfile, which every build
# machine here has.
if command -v zip >/dev/null; then
  (cd "$staging" && zip -qr -X "$zip_file" hamirror)
else
  (cd "$staging" && python3 -c 'import shutil, sys; shutil.make_archive(sys.argv[1][:-4], "zip", ".", "hamirror")' "$zip_file")
fi
echo "package-windows: $zip_file"

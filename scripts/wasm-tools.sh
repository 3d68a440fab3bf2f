#!/usr/bin/env bash
# The wasm toolchain of the twin viewer (make viewer): the wasm32 target and wasm-bindgen-cli.
# wasm-bindgen's CLI must be exactly the version of the `wasm-bindgen` crate the renderer
# links (its generated JS and the wasm's custom section must agree, or init fails at run
# time), so the version is read from Cargo.lock, never guessed. The CLI is built once into
# a persistent cache outside the clone (~7.5 min cold on 2 cores) and reused after.
# Prints the path of the wasm-bindgen binary on stdout; progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ZHISHEN_TOOLS_DIR:-$HOME/.cache/zhishen/tools}"
bin="$tools/bin/wasm-bindgen"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "wasm-tools: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown >&2
fi

# The version of the wasm-bindgen crate in the lock file (the [[package]] block named exactly so).
version="$(awk '
  /^\[\[package\]\]/ { name = "" }
  /^name = / { name = $3 }
  /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3; exit }
' "$root/Cargo.lock")"
if [ -z "$version" ]; then
  echo "wasm-tools: no wasm-bindgen package in $root/Cargo.lock" >&2
  exit 1
fi

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null | awk '{print $2}')" = "$version" ]; then
  echo "$bin"
  exit 0
fi

echo "wasm-tools: installing wasm-bindgen-cli $version into $tools (several minutes)" >&2
# Its own target directory, removed after: the CLI's build tree is large and never reused.
# No --locked: the CLI's own lock names a webpki-roots the registry no longer serves.
build="${ZHISHEN_TOOLS_TARGET:-$HOME/.cache/zhishen/tools-target}"
CARGO_TARGET_DIR="$build" cargo install wasm-bindgen-cli --version "$version" \
  --root "$tools" --force >&2
rm -rf "$build"
got="$("$bin" --version | awk '{print $2}')"
if [ "$got" != "$version" ]; then
  echo "wasm-tools: installed wasm-bindgen $got, expected $version" >&2
  exit 1
fi
echo "$bin"

#!/usr/bin/env bash
# Runs every workspace test and ends with one summary line ("N passed, N failed").
set -uo pipefail
log=$(mktemp)
cargo test --locked --workspace --all-targets "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$rc"

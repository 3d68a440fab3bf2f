#!/usr/bin/env bash
# Runs every workspace test and ends with one summary line ("N passed, N failed").
set -uo pipefail
log=$(mktemp)
cargo test --locked --workspace --all-targets "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The S3 blob store is behind a cargo feature; its test runs on an in-memory
# object store (there is no S3 endpoint offline).
cargo test --locked -p zhishen-store --features s3 --test s3 "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$rc"

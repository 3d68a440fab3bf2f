#!/usr/bin/env bash
# Installs the system packages zhishen needs when they are missing (Debian, as root).
set -euo pipefail
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# GDAL 3.6 for the site model (GeoPackage, Shapefile, GeoJSON, FileGDB, FlatGeobuf, DXF).
pkg-config --exists gdal 2>/dev/null || need+=(libgdal-dev)
# The system SQLite, shared by GDAL (GeoPackage) and the store (sqlx links it unbundled).
pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
# PostgreSQL server for the store tests and bench (scripts/pg-test.sh).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Report rendering tests: a real browser for the HTML report, xmllint for the BCF XSD checks,
# venv for IfcOpenShell's bcf reader (scripts/bcf_check.py), a CJK font so screenshots show Chinese.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The browser end-to-end test of the service drives that chromium through chromedriver.
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# The twin's headless snapshots render natively on Vulkan (lavapipe, Mesa's CPU driver).
# (The wasm viewer needs no system package: scripts/wasm-tools.sh brings its toolchain.)
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
# The HTTP service benchmark (make bench, bench/server_bench.sh): wrk drives, curl probes.
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi

#!/usr/bin/env bash
# The whole test suite of cpom, as run by CI:
#   1. unit and integration tests (cargo test) on SQLite and on PostgreSQL (generated PDFs
#      are read back with pdftotext);
#   2. end-to-end tests in headless Chromium (Debian packages), with axe-core checks.
# It installs what it needs (poppler-utils, chromium, chromium-driver, the e2e npm
# packages) when missing and fails if PostgreSQL is unreachable.
#
# Environment:
#   CPOM_TEST_POSTGRES_URL  admin URL of the test PostgreSQL server
#                           (default postgres://postgres@127.0.0.1:5432/test); each test
#                           creates its own database cpom_t_* there.
#   CPOM_SKIP_E2E=1         skip the browser tests (not in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

export CPOM_TEST_POSTGRES_URL="${CPOM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_host_port="${CPOM_TEST_POSTGRES_URL#*@}"; pg_host_port="${pg_host_port%%/*}"
pg_host="${pg_host_port%%:*}"; pg_port="${pg_host_port##*:}"; [ "$pg_port" = "$pg_host" ] && pg_port=5432

step() { printf '\n== %s\n' "$*"; }

step "PostgreSQL at ${pg_host}:${pg_port}"
if ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not running: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$pg_host" -p "$pg_port" && break; sleep 1; done
  fi
fi
if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
  echo "ERROR: PostgreSQL is unreachable at ${pg_host}:${pg_port}; the storage tests must run on it." >&2
  exit 1
fi
# Databases left by earlier runs.
psql "$CPOM_TEST_POSTGRES_URL" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'cpom_t_%'" \
  | while read -r db; do [ -n "$db" ] && psql "$CPOM_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done

# Debian packages the tests use: pdftotext (poppler-utils) reads the generated PDFs back;
# the browser tests need chromium and chromium-driver.
packages=()
command -v pdftotext >/dev/null 2>&1 || packages+=(poppler-utils)
if [ "${CPOM_SKIP_E2E:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  step "Installing Debian packages: ${packages[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
fi

step "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

if [ "${CPOM_SKIP_E2E:-0}" = 1 ]; then
  echo "CPOM_SKIP_E2E=1: browser tests skipped"
  exit 0
fi

step "End-to-end tests in headless Chromium"
if [ ! -d e2e/node_modules/playwright-core ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  npm ci --prefix e2e --no-audit --no-fund --loglevel=error
fi
cargo build --locked -p cpom
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
CPOM_BIN="$target_dir/debug/cpom" node --test --test-concurrency=1 e2e/*.test.mjs

#!/usr/bin/env bash
# `cpom generate --scale national` (issue 9), timed on a fresh SQLite file and a fresh
# PostgreSQL database: the real registry of ../shared/data (every region), a catalogue per
# region, one signed CPOM per legal entity (25 engagements), five yearly campaigns per region
# with declarations in every state, their history, evidence and verdicts. Prints the time of
# each stage, the counts, the whole time and the peak RSS of the process (GNU time), and the
# size of the database.
# Usage: bench/generate.sh [seed, default 2026]
# Needs: the local PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another
# server); GNU time (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-2026}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q -p cpom
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/cpom"
export CPOM_DEMO_DATA_DIR="${CPOM_DEMO_DATA_DIR:-$(cd .. && pwd)/shared/data}" RUST_LOG=warn

run_backend() { # name url data_dir
  local name=$1 url=$2 dir=$3
  echo "### $name"
  CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$dir" /usr/bin/time -f '- peak RSS %M KiB, elapsed %e s' \
    "$bin" generate --scale national --seed "$seed" 2>&1 | sed 's/^/  /; s/^  - /- /'
}

echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); cpom $(git rev-parse --short HEAD)"
sqlite_dir=$(mktemp -d)
run_backend SQLite "sqlite://$sqlite_dir/cpom.sqlite?mode=rwc" "$sqlite_dir"
echo "- database file: $(du -h "$sqlite_dir/cpom.sqlite" | cut -f1)"
rm -rf "$sqlite_dir"
db="cpom_bench_generate_$$"
psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
pg_dir=$(mktemp -d)
run_backend PostgreSQL "${pg_admin%/*}/$db" "$pg_dir"
echo "- database size: $(psql "${pg_admin%/*}/$db" -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
psql "$pg_admin" -qc "DROP DATABASE $db" >/dev/null
rm -rf "$pg_dir"

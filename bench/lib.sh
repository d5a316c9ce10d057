# Shared by the HTTP benchmarks (sourced): wrk at 32 connections, signing in through the
# form, and running `run_backend NAME URL DATA_DIR` (defined by the caller) on a fresh
# SQLite file and a fresh PostgreSQL database. Expects `duration`, `base`, `password` and
# `pg_admin` to be set.

# wrk_run URL [HEADER...]: "N req/s, p50 X, p99 Y, non-2xx Z".
wrk_run() {
  local url=$1; shift
  local args=(-t2 -c32 -d"${duration}s" --latency)
  for h in "$@"; do args+=(-H "$h"); done
  wrk "${args[@]}" "$url" | awk '
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /^Requests\/sec/ {rps=$2}
    /Non-2xx/ {errors=$NF} /Socket errors/ {serr=$0}
    END {printf "%s req/s, p50 %s, p99 %s, non-2xx %s%s\n", rps, p50, p99, (errors==""?0:errors), (serr==""?"":", "serr)}'
}

# sign_in EMAIL: signs in through the form, as a browser does, and prints the session cookie.
sign_in() {
  local jar; jar=$(mktemp)
  local csrf; csrf=$(curl -fs -c "$jar" "$base/connexion" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "email=$1" --data-urlencode "password=$password" --data-urlencode "csrf_token=$csrf" "$base/connexion"
  awk '$6=="cpom_session"{print $7}' "$jar"
  rm -f "$jar"
}

# on_both_backends DB_PREFIX: the machine, then run_backend on SQLite and on PostgreSQL.
on_both_backends() {
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); cpom $(git rev-parse --short HEAD)"
  local sqlite_dir; sqlite_dir=$(mktemp -d)
  run_backend SQLite "sqlite://$sqlite_dir/cpom.sqlite?mode=rwc" "$sqlite_dir"
  rm -rf "$sqlite_dir"
  local db="${1}_$$"
  psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
  local pg_dir; pg_dir=$(mktemp -d)
  run_backend PostgreSQL "${pg_admin%/*}/$db" "$pg_dir"
  psql "$pg_admin" -qc "DROP DATABASE $db" >/dev/null
  rm -rf "$pg_dir"
}

# cpom_bin release|debug: builds cpom with that profile and prints the binary's path.
cpom_bin() {
  if [ "$1" = release ]; then cargo build --release --locked -q -p cpom; else cargo build --locked -q -p cpom; fi
  local dir
  dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
  echo "$dir/$1/cpom"
}

# need_oha: prints the path of oha, installed with `cargo install oha --locked` (under
# $OHA_ROOT, default ~/.cargo) when missing.
need_oha() {
  if command -v oha >/dev/null; then command -v oha; return; fi
  local root="${OHA_ROOT:-$HOME/.cargo}"
  [ -x "$root/bin/oha" ] || cargo install oha --locked --root "$root" >&2
  echo "$root/bin/oha"
}

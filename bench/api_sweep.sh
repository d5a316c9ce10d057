#!/usr/bin/env bash
# The API sweep of issue 9: schemathesis reads the OpenAPI document the server publishes
# (/api/v1/openapi.json) and sends generated requests, valid and invalid, to every
# operation, with the API token of a national administrator, an ARS administrator and an
# establishment's leader, on the demo data (`cpom demo`, SQLite). Checks on every response:
# no 5xx, the response matches its schema and content type, and the security headers
# (bench/api_sweep_hooks.py: CSP with default-src 'self' and frame-ancestors 'none',
# nosniff, same-origin referrer). Prints schemathesis's summary per account and exits
# non-zero on any failure.
# Usage: bench/api_sweep.sh [examples per operation, default 25]
# Needs: schemathesis (installed with pip when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-25}"
command -v st >/dev/null || python3 -m pip install -q schemathesis
# shellcheck source=bench/lib.sh
source bench/lib.sh
bin="$(cpom_bin debug)"
port=18955
base="http://127.0.0.1:$port"
data=$(mktemp -d)
export CPOM_DATA_DIR="$data" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false \
  CPOM_DEMO_PASSWORD="balayage-de-l-api-2026" RUST_LOG=warn \
  CPOM_DEMO_DATA_DIR="${CPOM_DEMO_DATA_DIR:-$(cd .. && pwd)/shared/data}"
"$bin" demo >"$data/demo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 600); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.2; done
curl -fs "$base/readyz" >/dev/null || { cat "$data/demo.log"; exit 1; }
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); cpom $(git rev-parse --short HEAD); schemathesis $(st --version | awk '{print $NF}'); $examples examples per operation"
failed=0
for account in national-admin ars-admin establishment-leader; do
  token=$("$bin" token create --email "$account@cpom.demo" --name "balayage")
  echo "== $account@cpom.demo"
  # Left out: revoking a token (the sweep's own would go) and changing one's password.
  status=0
  SCHEMATHESIS_HOOKS=api_sweep_hooks PYTHONPATH=bench st run "$base/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,security_headers \
    --exclude-path-regex '^/api/v1/tokens/' --exclude-path '/api/v1/me/password' \
    --max-examples "$examples" --workers 1 --seed 2026 --no-color \
    --report junit --report-junit-path "$data/$account.xml" >"$data/$account.log" 2>&1 || status=$?
  [ $status = 0 ] || { failed=1; echo "schemathesis exited with $status"; }
  # The summary: from the line of the results to the end.
  sed -n '/SUMMARY/,$p' "$data/$account.log" | head -60
done
[ $failed = 0 ] || { cp "$data"/*.log /tmp/ 2>/dev/null; echo "failures: logs in /tmp/<account>.log"; }
exit $failed

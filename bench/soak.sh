#!/usr/bin/env bash
# The soak run of issue 9: cpom on a fresh national dataset (`cpom generate --scale
# national`) under mixed load for a while (10 minutes by default): oha drives eight pages and
# API reads of a referent and an establishment's leader (two clients each, sixteen in all)
# while a writer saves the leader's declarations one after the other through the API, as the
# form does (each save at the version it read). The server's RSS is sampled every 10 s.
# Prints the requests, non-2xx and errors of each read, the writer's saves, and the RSS after
# the first minute (warm), at the end and at its peak, with the growth from warm to end
# (target < 10 %) and the errors (target 0).
# Usage: bench/soak.sh [minutes, default 10] [sqlite|postgres, default sqlite]
# Needs: oha (installed with `cargo install oha --locked` when missing); for postgres, the
# local PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
backend="${2:-sqlite}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# shellcheck source=bench/lib.sh
source bench/lib.sh
oha_bin="$(need_oha)"
bin="$(cpom_bin release)"
port=18966
base="http://127.0.0.1:$port"
password="benchmark-password-2026"
work=$(mktemp -d)
db=""
if [ "$backend" = postgres ]; then
  db="cpom_bench_soak_$$"
  psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
  url="${pg_admin%/*}/$db"
else
  url="sqlite://$work/cpom.sqlite?mode=rwc"
fi
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$db" ] && psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export CPOM_DEMO_DATA_DIR="${CPOM_DEMO_DATA_DIR:-$(cd .. && pwd)/shared/data}" RUST_LOG=warn
export CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$work" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); cpom $(git rev-parse --short HEAD); $backend; $minutes min"
"$bin" generate --scale national --seed 2026 | tail -n 1 | sed 's/^/- /'
CPOM_PASSWORD="$password" "$bin" user create --email referent@cpom.bench --role ars-referent --region 76 --name "Référent" >/dev/null
ref_token=$("$bin" token create --email referent@cpom.bench)
"$bin" serve & pid=$!
for _ in $(seq 1 1000); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
campaign=$(curl -fs -H "Authorization: Bearer $ref_token" "$base/api/v1/campaigns" | python3 -c '
import json, sys
items = json.load(sys.stdin)
items = items["items"] if isinstance(items, dict) else items
print(max((c for c in items if c["region"] == "76"), key=lambda c: c["year"])["id"])')
read -r ej contract <<<"$(curl -fs -H "Authorization: Bearer $ref_token" "$base/api/v1/campaigns/$campaign/declarations?state=to_do&per_page=1" | python3 -c '
import json, sys
d = json.load(sys.stdin)["items"][0]
print(d["ej"], d["contract_id"])')"
CPOM_PASSWORD="$password" "$bin" user create --email leader@cpom.bench --role establishment-leader --ej "$ej" --name "Direction" >/dev/null
lead_token=$("$bin" token create --email leader@cpom.bench)
ref_cookie=$(sign_in referent@cpom.bench)
lead_cookie=$(sign_in leader@cpom.bench)
echo "- campaign $campaign (Occitanie, latest year); the leader of $ej saves its declarations"
R="Cookie: cpom_session=$ref_cookie" L="Cookie: cpom_session=$lead_cookie"
RT="Authorization: Bearer $ref_token" LT="Authorization: Bearer $lead_token"

# RSS every 10 s.
(while kill -0 "$pid" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$pid/status"; sleep 10; done) >"$work/rss" 2>/dev/null &
sampler=$!

# The readers: two clients each, for the whole run.
i=0
readers=()
while IFS='|' read -r label url header; do
  "$oha_bin" -z "${minutes}m" -c 2 --no-tui --output-format json -H "$header" "$base$url" >"$work/read.$i.json" 2>/dev/null &
  readers+=($!)
  echo "$label" >"$work/read.$i.label"
  i=$((i + 1))
done <<EOT
/ (home, leader)|/|$L
/registre?q=centre (search, referent)|/registre?q=centre|$R
/registre/ej/{finess} (referent)|/registre/ej/$ej|$R
/contrats/{id} (leader)|/contrats/$contract|$L
/campagnes/{id}?state=submitted (queue, referent)|/campagnes/$campaign?state=submitted|$R
/campagnes/{id}/tableau-de-bord (dashboard, referent)|/campagnes/$campaign/tableau-de-bord|$R
GET /api/v1/legal-entities?q=centre (referent)|/api/v1/legal-entities?q=centre|$RT
GET /api/v1/campaigns/{id}/declarations (leader)|/api/v1/campaigns/$campaign/declarations|$LT
EOT

# The writer: the leader saves each of its declarations still to fill, in turn, until the end.
python3 - "$base" "$lead_token" "$campaign" "$((minutes * 60))" >"$work/writer" <<'PY' &
import json, sys, time, urllib.request, urllib.error
base, token, campaign, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None
status, page = call("GET", f"/api/v1/campaigns/{campaign}/declarations?per_page=100")
ids = [d["id"] for d in page["items"] if d["state"] in ("to_do", "draft", "returned")]
saved = refused = errors = 0
end, n = time.time() + seconds, 0
while time.time() < end and ids:
    status, d = call("GET", f"/api/v1/declarations/{ids[n % len(ids)]}")
    n += 1
    if status != 200:
        errors += 1
        continue
    body = {"action": "save", "row_version": d["row_version"], "comment": f"enregistrement {n}"}
    kind = d["kind"]
    if kind == "rate":
        body.update(numerator=str(n % 50), denominator="50")
    elif kind in ("yes_no", "milestone"):
        body["answer"] = "oui" if n % 2 else "non"
    elif kind == "text":
        body["text"] = f"point {n}"
    else:
        body["value"] = str(n % 1000)
    status, _ = call("POST", f"/api/v1/declarations/{d['id']}/steps", body)
    if status == 200:
        saved += 1
    elif status < 500:
        refused += 1
    else:
        errors += 1
print(saved, refused, errors, len(ids))
PY
writer=$!
wait "$writer" "${readers[@]}"
kill "$sampler" 2>/dev/null || true

echo
echo "| read (who) | requests | req/s | p99 ms | non-2xx | errors |"
echo "|---|---|---|---|---|---|"
total_errors=0
for j in $(seq 0 $((i - 1))); do
  line=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
codes = d.get("statusCodeDistribution") or {}
done = sum(codes.values())
non2xx = sum(n for c, n in codes.items() if not c.startswith("2"))
errors = sum(n for k, n in (d.get("errorDistribution") or {}).items() if "deadline" not in k)
p99 = (d.get("latencyPercentiles") or {}).get("p99") or 0
print(done, "%.1f" % (done / d["summary"]["total"]), "%.1f" % (p99 * 1000), non2xx, errors)' "$work/read.$j.json")
  read -r n rps p99 non2xx errors <<<"$line"
  total_errors=$((total_errors + non2xx + errors))
  echo "| $(cat "$work/read.$j.label") | $n | $rps | $p99 | $non2xx | $errors |"
done
read -r saved refused werrors candidates <"$work/writer"
total_errors=$((total_errors + werrors))
echo
echo "- writer: $saved saves of $candidates declarations, $refused refused (4xx), $werrors errors (5xx or no answer)"
python3 - "$work/rss" "$total_errors" <<'PY'
import sys
rss = [int(l) for l in open(sys.argv[1]) if l.strip()]
warm = rss[min(6, len(rss) - 1)]  # after the first minute
end, peak = rss[-1], max(rss)
growth = 100 * (end - warm) / warm
print(f"- RSS: {warm / 1024:.1f} MiB after 1 min, {end / 1024:.1f} MiB at the end, peak {peak / 1024:.1f} MiB; growth {growth:+.1f} % (target < 10 %)")
print(f"- errors: {sys.argv[2]} (target 0)")
PY

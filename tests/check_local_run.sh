#!/usr/bin/env bash
# Runs the README's first command, ./deploy/local/run.sh, and checks that the demo answers as
# the script says it will: shop.localhost through the edge and shop's app tier, blog.localhost
# single tier, 404 for an unknown host. Then stops it by PID and checks that everything it
# started is gone. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
setsid ./deploy/local/run.sh >"$out" 2>&1 &
pid=$!
stop() {
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
trap 'stop; rm -f "$out"' EXIT
fail() {
  echo "check_local_run: $*" >&2
  tail -40 "$out" >&2
  exit 1
}

# The script builds the binaries first (optimised; minutes on a cold cache).
for _ in $(seq 1800); do
  grep -q "Ctrl-C stops everything" "$out" && break
  kill -0 "$pid" 2>/dev/null || fail "run.sh exited early"
  sleep 1
done
grep -q "Ctrl-C stops everything" "$out" || fail "run.sh did not come up within 30 min"

expect() {  # URL TEXT: the body of URL contains TEXT, within 20 s
  local body=""
  for _ in $(seq 200); do
    body=$(curl -s --max-time 5 "$1" || true)
    [[ $body == *"$2"* ]] && return 0
    sleep 0.1
  done
  fail "$1 answered '$body', expected '$2'"
}
expect http://shop.localhost:8080/ "shop/web answered GET /"
expect http://shop.localhost:8080/api/cart "shop/api answered GET /api/cart"
expect http://blog.localhost:8080/post "blog/web answered GET /post"
expect http://news.localhost:8080/today "blog/web answered GET /today"
location=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 http://news.localhost:8080/old/a)
[[ $location == "301 http://news.localhost:8080/new/a" ]] || fail "the HTTPRoute redirect gave '$location'"
# HTTPS at the edge with the certificate run.sh made (the CA file it prints).
ca=$(sed -n 's/.*--cacert \([^ ]*\) .*/\1/p' "$out" | head -1)
[[ -f $ca ]] || fail "run.sh printed no certificate to trust ('$ca')"
body=""
for _ in $(seq 200); do
  body=$(curl -s --max-time 5 --cacert "$ca" https://shop.localhost:8443/ || true)
  [[ $body == *"shop/web answered GET /"* ]] && break
  sleep 0.1
done
[[ $body == *"shop/web answered GET /"* ]] || fail "https://shop.localhost:8443/ answered '$body'"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://nobody.localhost:8080/)
[[ $code == 404 ]] || fail "an unknown host answered $code, expected 404"
# shop's requests went through its app tier (blog's did not need one).
served=$(curl -s --max-time 5 http://127.0.0.1:9903/stats | sed -n 's/^strata_downstream_rq_total //p')
[[ ${served:-0} -ge 2 ]] || fail "shop's app tier served ${served:-no} requests, expected 2 or more"

stop
trap 'rm -f "$out"' EXIT
# Nothing it started may still listen (a plain TCP connect: some of these speak gRPC or
# want a PROXY header first).
for port in 8080 8443 8081 9101 9102 9103 18000 9901 9902 9903; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port still accepts connections after run.sh was stopped"
  fi
done
echo "check_local_run: passed"

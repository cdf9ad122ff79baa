#!/usr/bin/env bash
# Runs strata locally, both tiers: the control plane serving a copy of deploy/examples/ plus a
# TLS Secret for shop.localhost made for this run (a self-signed certificate), an edge proxy,
# the app-tier proxy of namespace "shop" and three demo apps, all on 127.0.0.1. Edit the
# manifests of the copy while it runs: changes reach the proxies within a second. Ctrl-C stops
# everything this script started.
set -euo pipefail
cd "$(dirname "$0")/../.."
./bazel/install_deps.sh
bazel build -c opt //controlplane:strata-controlplane //controlplane/ctl:strata-ctl \
  //dataplane:strata-proxy
bin=$(bazel info -c opt bazel-bin)
logs=$(mktemp -d /tmp/strata-local.XXXXXX)
https_try=""
if [[ -z ${MANIFESTS:-} ]]; then
  MANIFESTS=$logs/manifests
  mkdir -p "$MANIFESTS"
  cp deploy/examples/*.yaml "$MANIFESTS/"
  # The certificate of shop.localhost (deploy/examples/two-tier.yaml names Secret shop-tls).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=shop.localhost -addext subjectAltName=DNS:shop.localhost \
    -keyout "$logs/shop-tls.key" -out "$logs/shop-tls.pem" 2>/dev/null
  cat >"$MANIFESTS/shop-tls.yaml" <<SECRET
apiVersion: v1
kind: Secret
metadata: {name: shop-tls, namespace: shop}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$logs/shop-tls.pem")
  tls.key: $(base64 -w0 "$logs/shop-tls.key")
SECRET
  https_try="
  curl --cacert $logs/shop-tls.pem https://shop.localhost:8443/  # HTTPS, shop's certificate"
fi

pids=()
stop() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
trap 'exit 130' INT TERM

start() {  # start NAME COMMAND...: runs COMMAND in the background, logging to $logs/NAME.log
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
}

start shop-web python3 deploy/local/demo_backend.py 9101 "shop/web"
start shop-api python3 deploy/local/demo_backend.py 9102 "shop/api"
start blog-web python3 deploy/local/demo_backend.py 9103 "blog/web"
start controlplane "$bin/controlplane/strata-controlplane" --manifests="$MANIFESTS" \
  --xds_address=127.0.0.1:18000 --admin_address=127.0.0.1:9901 \
  --proxy_listen_address=127.0.0.1 --edge_http_port=8080 --edge_https_port=8443 \
  --gateway_http_port=8080
start edge "$bin/dataplane/strata-proxy" --config=deploy/local/edge.yaml --concurrency=1
start app-shop "$bin/dataplane/strata-proxy" --config=deploy/local/app-shop.yaml --concurrency=1

# Ready when the edge answers (a 404 for a host nobody owns counts).
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: ready.invalid' http://127.0.0.1:8080/ || true)
  [[ $code == 404 ]] && break
  sleep 0.1
done

cat <<MSG

strata is running both tiers on 127.0.0.1 (logs in $logs/):
  edge proxy   :8080 (HTTPS :8443)  admin http://127.0.0.1:9902/stats
  app tier     :8081  (namespace shop; admin http://127.0.0.1:9903/config_dump)
  control plane xDS :18000, metrics http://127.0.0.1:9901/metrics
  manifests    $MANIFESTS (edit them: changes apply within a second)
Try:
  curl http://shop.localhost:8080/          # edge → shop's app tier → shop/web${https_try}
  curl http://shop.localhost:8080/api/cart  # → shop/api (Ingress Prefix /api)
  curl http://blog.localhost:8080/          # edge → blog/web (IngressRoute, no app tier)
  curl http://news.localhost:8080/          # edge → blog/web (Gateway API HTTPRoute)
  curl -i http://news.localhost:8080/old/a  # 301 to /new/a (HTTPRoute RequestRedirect)
  curl -i http://nobody.localhost:8080/     # unknown host: 404 at the edge
  grep intruder $logs/controlplane.log      # the refused claim on shop.localhost
  $bin/controlplane/ctl/strata-ctl proxy-status
Ctrl-C stops everything.

MSG
wait -n "${pids[@]}" || true
echo "a process exited; see $logs/ (stopping the rest)" >&2

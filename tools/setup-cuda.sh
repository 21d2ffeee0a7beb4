#!/usr/bin/env bash
# One-time setup of ONNX Runtime's CUDA execution provider for onnxruntime-node on a Linux x64
# machine with an NVIDIA GPU and CUDA 13 (run from the repository root after `npm ci`).
#
# ORT's own Node install step fetches a CUDA 12 provider from NuGet, which is not reachable from
# every machine and does not match CUDA 13. Instead this copies the CUDA 13 build of the same ORT
# version from the npm package com.github.asus4.onnxruntime.linux-x64-gpu next to
# onnxruntime_binding.node, after checking that its version matches the installed core.
#
# Usage: bash tools/setup-cuda.sh            then: eval "$(bash tools/setup-cuda.sh --env)"
set -euo pipefail
ORT_VERSION=1.29.0
EP_PACKAGE=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
root=$(cd "$(dirname "$0")/.." && pwd)
ort_dir="$root/node_modules/onnxruntime-node"
bin_dir="$ort_dir/bin/napi-v6/linux/x64"

cuda_lib_dirs() {
  # Directories holding the CUDA 13 runtime, cuBLAS(Lt) and cuDNN 9 libraries the provider links to.
  (find / \( -name 'libcudart.so.13*' -o -name 'libcublasLt.so.13*' -o -name 'libcublas.so.13*' -o -name 'libcudnn.so.9*' -o -name 'libcurand.so.10*' -o -name 'libcufft.so.12*' \) -not -path '/proc/*' 2>/dev/null || true) \
    | xargs -r -n1 dirname | sort -u | tr '\n' ':'
}

if [ "${1:-}" = "--env" ]; then
  echo "export LD_LIBRARY_PATH=$(cuda_lib_dirs)\${LD_LIBRARY_PATH:-}"
  exit 0
fi

[ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] || { echo "setup-cuda: only Linux x86_64 is supported" >&2; exit 1; }
[ -d "$bin_dir" ] || { echo "setup-cuda: $bin_dir not found; run npm ci first" >&2; exit 1; }
installed=$(node -p "require('$ort_dir/package.json').version")
if [ "$installed" != "$ORT_VERSION" ]; then
  echo "setup-cuda: onnxruntime-node is $installed but the CUDA 13 provider is built for $ORT_VERSION" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "setup-cuda: fetching $EP_PACKAGE from the npm registry"
(cd "$work" && npm pack --silent "$EP_PACKAGE" > /dev/null && tar xzf ./*.tgz)
ep="$work/package/Plugins/Linux/x64"
for lib in libonnxruntime_providers_cuda.so libonnxruntime_providers_shared.so; do
  [ -f "$ep/$lib" ] || { echo "setup-cuda: $lib missing from $EP_PACKAGE" >&2; exit 1; }
done
if ! strings "$ep/libonnxruntime_providers_cuda.so" | grep -qx "$ORT_VERSION"; then
  echo "setup-cuda: the provider in $EP_PACKAGE is not ORT $ORT_VERSION" >&2
  exit 1
fi
cp "$ep/libonnxruntime_providers_cuda.so" "$ep/libonnxruntime_providers_shared.so" "$bin_dir/"

lib_path=$(cuda_lib_dirs)
export LD_LIBRARY_PATH="$lib_path${LD_LIBRARY_PATH:-}"
missing=$(ldd "$bin_dir/libonnxruntime_providers_cuda.so" | grep "not found" || true)
if [ -n "$missing" ]; then
  echo "setup-cuda: the provider is installed but these CUDA libraries were not found:" >&2
  echo "$missing" >&2
  echo "install CUDA 13 (runtime, cuBLAS) and cuDNN 9, then run: eval \"\$(bash tools/setup-cuda.sh --env)\"" >&2
  exit 1
fi
(cd "$root" && node -e "
  const ort = require('onnxruntime-node');
  const { onnx } = require('onnx-proto');
  const vi = (n) => ({ name: n, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 4 }] } } } });
  const model = onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'check', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] } }).finish();
  ort.InferenceSession.create(model, { executionProviders: ['cuda'] })
    .then((s) => s.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 1, 2]), [4]) }))
    .then((r) => { console.log('setup-cuda: CUDA provider works:', Array.from(r.y.data).join(',')); })
    .catch((e) => { console.error('setup-cuda: CUDA session failed:', e.message); process.exit(1); });
") 
echo "setup-cuda: done. In each shell: eval \"\$(bash tools/setup-cuda.sh --env)\", then e.g. npx evonorm bench --ep cuda"

#!/usr/bin/env bash
# Installs, when missing, the Debian packages the tests use: Fashion-MNIST for the dataset and training
# tests; Python's gRPC, protoc and its gRPC Python plugin for the interop test; PyTorch for the
# exported layers' test; Chromium for the report
# and dashboard browser tests (puppeteer-core never downloads one); openssl for the mutual TLS test's
# certificates. Root runs apt-get itself; a user goes through sudo (tools/lib/apt.sh). Called by
# .ci/run; the README's test command runs it first.
set -euo pipefail
source "$(dirname "$0")/lib/apt.sh"
missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
command -v protoc > /dev/null || missing+=(protobuf-compiler)
[ -x /usr/bin/grpc_python_plugin ] || missing+=(protobuf-compiler-grpc)
/usr/bin/python3 -c 'import grpc' 2> /dev/null || missing+=(python3-grpcio)
/usr/bin/python3 -c 'import torch' 2> /dev/null || missing+=(python3-torch)
command -v chromium > /dev/null || missing+=(chromium)
command -v openssl > /dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "for the tests" "${missing[@]}"
fi

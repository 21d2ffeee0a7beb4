#!/usr/bin/env bash
# What `npm start` (the main job, a search on Fashion-MNIST) needs beyond Node.js: Debian's
# dataset-fashion-mnist, installed when missing. Root runs apt-get itself; a user goes through sudo.
# The README's quick start runs it before `npm ci && npm start`.
set -euo pipefail
source "$(dirname "$0")/lib/apt.sh"
[ -d /usr/share/datasets/fashion-mnist ] || apt_install "for the main job" dataset-fashion-mnist

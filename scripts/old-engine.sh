#!/usr/bin/env bash
# The oldest engine a Debian 12 user gets from apt: bookworm's own docker.io 20.10 (BuildKit v0.8), unpacked
# beside the others and run like the remote engine (its own data root, exec root, socket, containerd
# namespace and bridge; see scripts/remote-engine.sh), without the containerd image store, which it lacks.
# tests/e2e/old_engine.rs builds on it: scratchkit refuses it at once, naming the minimum version, and builds
# with the documented opt-in. Prints the engine version.
set -euo pipefail
export REMOTE_ENGINE_PATTERN='20.10.*'
export REMOTE_ENGINE_SUITE=own
export REMOTE_ENGINE_PREFIX=/opt/scratchkit/engine-20
export REMOTE_ENGINE_NAME=scratchkit-old
export REMOTE_ENGINE_BRIDGE=scratchkit1
export REMOTE_ENGINE_BRIDGE_ADDR=10.214.0.1/24
export REMOTE_ENGINE_CONTAINERD_STORE=false
exec "$(dirname "$0")/remote-engine.sh"

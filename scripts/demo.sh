#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install Docker if absent, build the local Go
# builder image and the scratchkit frontend image, then build examples/smallest through the frontend
# with `docker buildx build -f scratch.yaml` and run the resulting FROM-scratch image.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-docker.sh
scripts/builder-image.sh
scripts/frontend-image.sh

echo "==> docker buildx build -f examples/smallest/scratch.yaml examples/smallest" >&2
docker buildx build --load -t scratchkit-demo/smallest -f examples/smallest/scratch.yaml examples/smallest
echo "==> docker run --network none scratchkit-demo/smallest" >&2
docker run --rm --network none --add-host example.com:127.0.0.1 scratchkit-demo/smallest
docker image ls scratchkit-demo/smallest

#!/usr/bin/env bash
# Builds the builder image of the runtime examples (issue 20): the local Go builder's packages plus Debian's
# python3 (and python3-yaml, a C extension), nodejs and openjdk-17-jdk-headless (which has jlink), made the
# same way (debootstrap + docker import, no registry). Usage: scripts/runtime-image.sh [NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:-scratchkit-test/runtimes:bookworm}
DOCKER=${DOCKER:-docker}
BUILDER_EXTRA_PACKAGES=python3,python3-yaml,nodejs,openjdk-17-jdk-headless scripts/builder-image.sh "$NAME"
out=$("$DOCKER" run --rm --network none "$NAME" sh -c 'python3 --version && node --version && java -version 2>&1 | head -1 && jlink --version') \
  || { echo "runtime-image: python3, node, java or jlink does not run in $NAME" >&2; exit 1; }
echo "runtime-image: $NAME: $(tr '\n' ' ' <<<"$out"); $("$DOCKER" image inspect -f '{{.Size}}' "$NAME") bytes" >&2

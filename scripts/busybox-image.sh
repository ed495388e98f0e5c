#!/usr/bin/env bash
# Makes the local image the `debug` target's e2e test takes its shell from: Debian's static busybox
# (from the builder image, which has busybox-static) alone at /bin/busybox. No registry needed.
# Usage: scripts/busybox-image.sh [NAME]   (default scratchkit-test/busybox:static)
set -euo pipefail
NAME=${1:-scratchkit-test/busybox:static}
BUILDER=${BUILDER:-scratchkit-test/go:bookworm}
if docker image inspect "$NAME" >/dev/null 2>&1; then
  echo "busybox-image: $NAME already present" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${cid:-}" ] && docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
cid=$(docker create "$BUILDER" true)
mkdir -p "$work/bin"
docker cp -L "$cid:/bin/busybox" "$work/bin/busybox"
file -b "$work/bin/busybox" | grep -q 'statically linked' || { echo "busybox-image: /bin/busybox in $BUILDER is not static" >&2; exit 1; }
tar -C "$work" -c . | docker import - "$NAME" >/dev/null
echo "busybox-image: built $NAME" >&2

#!/usr/bin/env bash
# Builds the scratchkit frontend image: a static binary in a FROM-scratch image with the frontend labels.
# Usage: scripts/frontend-image.sh [TAG]   (default scratchkit:dev, the name the examples' "# syntax=" lines use)
# Needs no registry: Docker's built-in Dockerfile frontend builds a Dockerfile without a "# syntax" line offline.
set -euo pipefail

TAG=${1:-scratchkit:dev}
TARGET=x86_64-unknown-linux-gnu
DOCKER=${DOCKER:-docker}
cd "$(dirname "$0")/.."

log() { echo "frontend-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v cargo >/dev/null || die "cargo not found"
"$DOCKER" info >/dev/null 2>&1 || die "docker daemon unreachable; run scripts/install-docker.sh first"

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$TARGET"; then
  log "adding rust target $TARGET"
  rustup target add "$TARGET"
fi

# An explicit --target keeps RUSTFLAGS away from build scripts and proc macros (they must stay dynamic),
# and a separate target dir keeps this build from invalidating the normal one.
log "cargo build --release (static, $TARGET)"
RUSTFLAGS='-C target-feature=+crt-static' \
  cargo build --release --target "$TARGET" --target-dir target/static --bin scratchkit
bin=target/static/$TARGET/release/scratchkit
[ -x "$bin" ] || die "$bin was not built"

# Static means: no ELF interpreter. `file` says "statically linked" or "static-pie linked".
desc=$(file -b "$bin")
case $desc in
  *"dynamically linked"*) die "$bin is dynamically linked: $desc" ;;
  *"statically linked"*|*"static-pie linked"*) ;;
  *) die "cannot tell whether $bin is static: $desc" ;;
esac
if command -v readelf >/dev/null && readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
  die "$bin has an ELF interpreter (PT_INTERP), it is not static"
fi
log "binary: $desc"

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/scratchkit"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY scratchkit /scratchkit
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/scratchkit"]
DOCKERFILE

"$DOCKER" buildx build --progress plain --load -t "$TAG" "$ctx" >&2

size=$("$DOCKER" image inspect -f '{{.Size}}' "$TAG")
log "built $TAG: $size bytes ($(( size / 1024 )) KiB); binary $(stat -c %s "$bin") bytes"

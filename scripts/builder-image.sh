#!/usr/bin/env bash
# Builds the local builder image the examples and e2e tests use (no registry access is needed or assumed):
# a Debian bookworm minbase rootfs with Go 1.19, a C toolchain, CA certificates, tzdata, netbase (/etc/services,
# /etc/protocols) and media-types (/etc/mime.types), imported into Docker.
# Usage: scripts/builder-image.sh [NAME]   (default scratchkit-test/go:bookworm)
# The debootstrapped rootfs is cached as a tarball under /var/cache/scratchkit/, so a second run only imports;
# a missing or broken cache is rebuilt, never trusted blindly.
set -euo pipefail
# shellcheck source=scripts/apt-newer.sh
. "$(dirname "$0")/apt-newer.sh"

NAME=${1:-scratchkit-test/go:bookworm}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-$(debian_uri)}
# BUILDER_EXTRA_PACKAGES: more Debian packages (comma-separated) for a derived builder, e.g. the runtimes of
# scripts/runtime-image.sh; they are part of the cache key.
INCLUDE=golang-go,ca-certificates,tzdata,netbase,media-types,gcc,libc6-dev,zlib1g-dev,libsqlite3-dev,busybox-static,musl-tools${BUILDER_EXTRA_PACKAGES:+,$BUILDER_EXTRA_PACKAGES}
CACHE_DIR=${SCRATCHKIT_CACHE:-/var/cache/scratchkit}
DOCKER=${DOCKER:-docker}

log() { echo "builder-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs it)"
command -v "$DOCKER" >/dev/null || die "no docker client ($DOCKER); run scripts/install-docker.sh first"
"$DOCKER" info >/dev/null 2>&1 || die "docker daemon unreachable; run scripts/install-docker.sh first"

verify() {
  local out
  out=$("$DOCKER" run --rm --network none "$NAME" go version) || die "'go version' failed in $NAME"
  case $out in
    "go version go"*) log "$NAME: $out" ;;
    *) die "unexpected 'go version' output in $NAME: $out" ;;
  esac
}

# The cache key covers everything that shapes the rootfs; the image carries it as a label, so an image
# made from an older package list is rebuilt rather than trusted.
key=$(printf '%s\n' "$SUITE" "$MIRROR" "$INCLUDE" minbase | sha256sum | cut -c1-12)
if [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "scratchkit.rootfs"}}' "$NAME" 2>/dev/null)" = "$key" ]; then
  log "$NAME already present"
  verify
  exit 0
fi
tarball=$CACHE_DIR/go-$SUITE-$key.tar
mkdir -p "$CACHE_DIR"

if [ -s "$tarball" ] && ! tar -tf "$tarball" --occurrence=1 ./usr/bin/go >/dev/null 2>&1; then
  log "cached rootfs $tarball looks broken; rebuilding it"
  rm -f "$tarball"
fi

if [ ! -s "$tarball" ]; then
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  work=$(mktemp -d /var/tmp/scratchkit-rootfs.XXXXXX)
  cleanup() { umount -R "$work/rootfs/proc" "$work/rootfs/sys" 2>/dev/null || true; rm -rf "$work"; }
  trap cleanup EXIT
  log "debootstrap $SUITE into $work/rootfs (a few minutes)"
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -40 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  # Slim the image: apt lists and caches are useless in a build-only image.
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb
  [ -x "$work/rootfs/usr/bin/go" ] || die "debootstrap finished but /usr/bin/go is missing"
  tar --numeric-owner -C "$work/rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  cleanup
  trap - EXIT
  log "cached rootfs at $tarball ($(du -h "$tarball" | cut -f1))"
else
  log "using cached rootfs $tarball"
fi

"$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV HOME=/root' \
  --change "LABEL scratchkit.rootfs=$key" \
  "$tarball" "$NAME" >/dev/null
log "imported $NAME"
verify

#!/usr/bin/env bash
# A Rust builder image made here, for building the release Dockerfile without pulling `rust:1-bookworm`:
# the local builder image (Debian bookworm with gcc and libc6-dev: scripts/builder-image.sh) plus the host's
# own Rust toolchain (rustc, cargo and the x86_64 standard library, as `rustc --print sysroot` finds them).
# Usage: scripts/rust-builder-image.sh [NAME]   (default scratchkit-test/rust:bookworm)
# The image carries the toolchain's version as a label, so a second run with the same toolchain only checks it.
set -euo pipefail

NAME=${1:-scratchkit-test/rust:bookworm}
BASE=${BASE_IMAGE:-scratchkit-test/go:bookworm}
DOCKER=${DOCKER:-docker}

log() { echo "rust-builder-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v rustc >/dev/null || die "rustc not found"
"$DOCKER" image inspect "$BASE" >/dev/null 2>&1 || die "base image $BASE is missing; run scripts/builder-image.sh"

sysroot=$(rustc --print sysroot)
version=$(rustc --version)
host=$(rustc -vV | sed -n 's/^host: //p')
[ -x "$sysroot/bin/cargo" ] || die "no cargo beside rustc in $sysroot/bin"

verify() {
  local out
  out=$("$DOCKER" run --rm --network none "$NAME" sh -c 'rustc --version && cargo --version') \
    || die "rustc or cargo does not run in $NAME"
  log "$NAME: $(tr '\n' ' ' <<<"$out")"
}

if [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "scratchkit.rustc"}}' "$NAME" 2>/dev/null)" = "$version" ]; then
  log "$NAME already present"
  verify
  exit 0
fi

ctx=$(mktemp -d /var/tmp/scratchkit-rust.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
# What a build needs: the two programs, their shared libraries, and the host target's standard library and
# linker wrapper (lib/rustlib/<host>); not the docs, sources or other targets (a few hundred MB less).
mkdir -p "$ctx/rust/bin" "$ctx/rust/lib/rustlib"
cp -a "$sysroot/bin/rustc" "$sysroot/bin/cargo" "$ctx/rust/bin/"
find "$sysroot/lib" -maxdepth 1 -name '*.so*' -exec cp -a {} "$ctx/rust/lib/" \;
cp -a "$sysroot/lib/rustlib/$host" "$ctx/rust/lib/rustlib/"
log "toolchain $version ($host): $(du -sh "$ctx/rust" | cut -f1)"

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY rust /usr/local/rust
ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CARGO_HOME=/usr/local/cargo
LABEL scratchkit.rustc="$version"
DOCKERFILE
"$DOCKER" buildx build --progress plain --load -t "$NAME" "$ctx" >&2
verify

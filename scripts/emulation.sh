#!/usr/bin/env bash
# Emulated arm64 for `builder.platform: target` tests, as root on Debian 12:
#   1. QEMU user mode from trixie (qemu-user-static and the two packages it is made of; they bring no
#      other trixie package, so libc stays bookworm's), the suite pinned low while we install and removed after;
#   2. binfmt_misc mounted, and the aarch64 handler registered from the package's binfmt.d file (flag F: the
#      kernel keeps the interpreter open, so it also works inside BuildKit's containers);
#   3. scratchkit-test/busybox:arm64, a linux/arm64 image holding Debian's static busybox (arm64 build),
#      made without emulation: the .deb is unpacked on the host.
# Each step is skipped when already done; any failure stops with the reason.
set -euo pipefail
# shellcheck source=scripts/apt-newer.sh
. "$(dirname "$0")/apt-newer.sh"

DOCKER=${DOCKER:-/usr/bin/docker}
IMAGE=scratchkit-test/busybox:arm64
HANDLER=/proc/sys/fs/binfmt_misc/qemu-aarch64
log() { echo "emulation: $*" >&2; }

if ! dpkg-query -W -f='${Status}' qemu-user-binfmt 2>/dev/null | grep -q 'install ok installed' || [ ! -e /usr/lib/binfmt.d/qemu-aarch64.conf ]; then
  log "installing qemu-user-static from trixie"
  install_from_newer trixie qemu-user-static/trixie qemu-user/trixie qemu-user-binfmt/trixie
fi

if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  log "mounting binfmt_misc"
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e "$HANDLER" ]; then
  log "registering the aarch64 handler"
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
fi
grep -q '^flags: .*F' "$HANDLER" || { log "the aarch64 handler lacks flag F (containers could not use it):"; cat "$HANDLER" >&2; exit 1; }

if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  log "making $IMAGE"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  added=no
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    added=yes
  fi
  apt-get update -qq
  (cd "$work" && apt-get download -qq busybox-static:arm64)
  if [ "$added" = yes ]; then
    dpkg --remove-architecture arm64
    apt-get update -qq || true
  fi
  dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/deb"
  mkdir -p "$work/root/bin" "$work/root/tmp"
  cp "$work/deb/bin/busybox" "$work/root/bin/busybox"
  for applet in sh cat cp mkdir uname ls echo; do ln -s busybox "$work/root/bin/$applet"; done
  chmod 1777 "$work/root/tmp"
  tar -C "$work/root" -c . | "$DOCKER" import --platform linux/arm64 \
    -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
fi

# Proof that emulation works end to end: an arm64 container says it is aarch64.
machine=$("$DOCKER" run --rm --network none --platform linux/arm64 "$IMAGE" uname -m)
[ "$machine" = aarch64 ] || { log "an arm64 container reports '$machine', not aarch64"; exit 1; }
log "linux/arm64 runs emulated ($IMAGE)"

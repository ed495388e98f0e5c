#!/usr/bin/env bash
# Installs and starts the Docker Engine (with its embedded BuildKit) and buildx on Debian 12, as root.
# Pinned versions: docker.io from trixie and docker-buildx from sid install on bookworm without touching libc,
# provided every dependency is taken from bookworm. The extra suites are pinned low while we install and removed after.
set -euo pipefail
# shellcheck source=scripts/apt-newer.sh
. "$(dirname "$0")/apt-newer.sh"

DOCKER_VERSION=26.1.5+dfsg1-9+deb13u1
BUILDX_VERSION=0.29.1+ds1-4

# trixie splits the engine: docker.io has dockerd only, the client (/usr/bin/docker) is the docker-cli package.
have_engine() { dpkg-query -W -f='${Version}' docker.io 2>/dev/null | grep -qx "$DOCKER_VERSION" \
  && dpkg-query -W -f='${Version}' docker-cli 2>/dev/null | grep -qx "$DOCKER_VERSION" \
  && dpkg-query -W -f='${Version}' docker-buildx 2>/dev/null | grep -qx "$BUILDX_VERSION"; }

if ! have_engine; then
  echo "installing docker.io $DOCKER_VERSION and docker-buildx $BUILDX_VERSION" >&2
  install_from_newer "trixie sid" "docker.io=$DOCKER_VERSION" "docker-cli=$DOCKER_VERSION" "docker-buildx=$BUILDX_VERSION"
fi

mkdir -p /etc/docker
want='{"features":{"containerd-snapshotter":true}}'
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$want" ]; then
  echo "$want" >/etc/docker/daemon.json
  # Restart a running daemon so it reads the new config; wait until it is really gone.
  if pkill -x dockerd 2>/dev/null; then
    for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
  fi
fi

# The Debian client; /usr/local/bin may hold another docker CLI, which works too, but be explicit.
if ! /usr/bin/docker info >/dev/null 2>&1; then
  echo "starting dockerd" >&2
  nohup dockerd --iptables=false >/var/log/scratchkit-dockerd.log 2>&1 &
  for _ in $(seq 1 180); do
    /usr/bin/docker info >/dev/null 2>&1 && break
    sleep 1
  done
  /usr/bin/docker info >/dev/null 2>&1 || { echo "dockerd did not start; log:" >&2; tail -50 /var/log/scratchkit-dockerd.log >&2; exit 1; }
fi
/usr/bin/docker buildx version >&2

#!/usr/bin/env bash
# A second Docker engine standing for a remote builder, as root on Debian 12: the newest engine Debian ships
# (docker.io 28.* from sid, picked by pattern) unpacked with `apt-get download` + `dpkg-deb -x` into a private
# directory, never installed with dpkg, so the pinned system engine (scripts/install-docker.sh) stays as it is.
#
# It runs beside the first engine with nothing shared but the kernel and the binaries of containerd and runc:
#   its own --data-root, --exec-root, socket (unix:///run/scratchkit-remote/docker.sock), --pidfile, daemon.json
#   (--config-file; the first engine's /etc/docker/daemon.json is never read), containerd namespaces, and its own
#   containerd (started by this dockerd from bookworm's containerd binary, root under its data root), so its
#   image store is really empty and everything it builds from must come from a registry;
#   its OWN bridge, scratchkit0 (10.213.0.1/24), made here: with --bridge=none dockerd would delete docker0 and
#   break the first engine's containers. --iptables=false, so it touches no firewall rules.
#   The containerd image store is on (features.containerd-snapshotter in its daemon.json).
# Use it with `docker -H unix:///run/scratchkit-remote/docker.sock …` or DOCKER_HOST=…
# Idempotent: a running engine that answers is left alone. Prints the engine and BuildKit versions. Any failure
# stops with the reason and the tail of the engine's log.
set -euo pipefail
# shellcheck source=scripts/apt-newer.sh
. "$(dirname "$0")/apt-newer.sh"

# The same script runs the oldest engine too (scripts/old-engine.sh): these variables make a second instance.
ENGINE_PATTERN=${REMOTE_ENGINE_PATTERN:-'28.*'}
# Where the packages come from: a suite added for the download (sid), or "own" for the machine's own suites.
ENGINE_SUITE=${REMOTE_ENGINE_SUITE:-sid}
PREFIX=${REMOTE_ENGINE_PREFIX:-/opt/scratchkit/engine-28}
NAME=${REMOTE_ENGINE_NAME:-scratchkit-remote}
RUN=/run/$NAME
SOCK=$RUN/docker.sock
HOST=unix://$SOCK
PIDFILE=$RUN/docker.pid
DATA_ROOT=/var/lib/$NAME
CONFIG=$DATA_ROOT/daemon.json
LOG=/var/log/$NAME-dockerd.log
BRIDGE=${REMOTE_ENGINE_BRIDGE:-scratchkit0}
BRIDGE_ADDR=${REMOTE_ENGINE_BRIDGE_ADDR:-10.213.0.1/24}
NAMESPACE=$NAME
# The containerd image store exists from Docker 24 on; the oldest engine keeps its graph drivers.
CONTAINERD_STORE=${REMOTE_ENGINE_CONTAINERD_STORE:-true}
DOCKER=${DOCKER:-docker}
log() { echo "remote-engine: $*" >&2; }
die() { log "error: $*"; exit 1; }
log_tail() { [ -f "$LOG" ] && { log "last lines of $LOG:"; tail -40 "$LOG" >&2; }; }
rdocker() { "$DOCKER" -H "$HOST" "$@"; }
answers() { rdocker version >/dev/null 2>&1; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v "$DOCKER" >/dev/null || die "no docker client ($DOCKER); run scripts/install-docker.sh first"
command -v containerd >/dev/null || die "no containerd binary (bookworm's containerd package); run scripts/install-docker.sh first"
command -v runc >/dev/null || die "no runc binary (bookworm's runc package); run scripts/install-docker.sh first"

# 1. The engine's files, unpacked once. docker.io ships dockerd, docker-proxy and the docker-init link to
#    tini-static, which is its own package. It needs containerd >= 1.4 and runc >= 1.0: bookworm's do.
if [ ! -x "$PREFIX/usr/sbin/dockerd" ] || [ ! -x "$PREFIX/usr/bin/tini-static" ] || [ ! -s "$PREFIX/VERSION" ]; then
  log "downloading docker.io $ENGINE_PATTERN and tini-static from $ENGINE_SUITE into $PREFIX (unpacked, not installed)"
  work=$(mktemp -d /var/tmp/scratchkit-engine.XXXXXX)
  chmod 0755 "$work"
  trap 'rm -rf "$work"' EXIT
  if [ "$ENGINE_SUITE" = own ]; then
    # tini-static is in the tini package before trixie.
    mkdir -p "$work/debs"
    list=$(resolve_packages "docker.io=$ENGINE_PATTERN" "tini=*") || die "no docker.io $ENGINE_PATTERN in this machine's suites"
    mapfile -t resolved <<<"$list"
    (cd "$work/debs" && apt_download_quiet "${resolved[@]}") || die "downloading the engine packages failed"
  else
    download_from_newer "$ENGINE_SUITE" "$work/debs" "docker.io=$ENGINE_PATTERN" "tini-static=*" || die "downloading the engine packages failed"
  fi
  rm -rf "$PREFIX.tmp"
  mkdir -p "$PREFIX.tmp"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$PREFIX.tmp" || die "dpkg-deb -x $deb failed"
  done
  dpkg-deb -f "$work"/debs/docker.io_*.deb Version >"$PREFIX.tmp/VERSION"
  [ -x "$PREFIX.tmp/usr/sbin/dockerd" ] || die "the docker.io package holds no usr/sbin/dockerd"
  [ -x "$PREFIX.tmp/usr/bin/docker-init" ] || die "usr/bin/docker-init (-> tini-static) is missing after unpacking"
  rm -rf "$PREFIX"
  mv "$PREFIX.tmp" "$PREFIX"
  rm -rf "$work"
  trap - EXIT
fi
version=$(cat "$PREFIX/VERSION")
# shellcheck disable=SC2053 # the pattern is a glob on purpose
[[ $version == $ENGINE_PATTERN ]] || die "$PREFIX holds docker.io $version, not $ENGINE_PATTERN; remove $PREFIX to fetch it again"
log "engine files: docker.io $version in $PREFIX"

# 2. Its own bridge. Only loopback traffic is ever made by the tests; the bridge exists so that dockerd has a
#    default network of its own and leaves docker0 alone.
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  log "creating bridge $BRIDGE ($BRIDGE_ADDR)"
  ip link add "$BRIDGE" type bridge || die "ip link add $BRIDGE type bridge failed"
fi
ip -4 addr show dev "$BRIDGE" | grep -q "inet ${BRIDGE_ADDR%/*}/" || ip addr add "$BRIDGE_ADDR" dev "$BRIDGE" \
  || die "cannot give $BRIDGE the address $BRIDGE_ADDR"
ip link set "$BRIDGE" up || die "cannot set $BRIDGE up"

# 3. The daemon.
if answers; then
  log "the remote engine already answers on $HOST"
else
  if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    old=$(cat "$PIDFILE")
    [ "$(readlink /proc/"$old"/exe 2>/dev/null)" = "$PREFIX/usr/sbin/dockerd" ] \
      || die "$PIDFILE names pid $old, which is not $PREFIX/usr/sbin/dockerd; remove the pidfile if it is stale"
    log "stopping the unresponsive remote engine (pid $old)"
    kill "$old"
    for _ in $(seq 1 30); do kill -0 "$old" 2>/dev/null || break; sleep 1; done
    kill -0 "$old" 2>/dev/null && die "the remote engine (pid $old) did not stop within 30 s"
  fi
  mkdir -p "$RUN" "$DATA_ROOT"
  if [ "$CONTAINERD_STORE" = true ]; then
    echo '{"features": {"containerd-snapshotter": true}}' >"$CONFIG"
  else
    echo '{}' >"$CONFIG"
  fi
  log "starting dockerd $version on $HOST (data $DATA_ROOT, exec root $RUN/exec, bridge $BRIDGE, log $LOG)"
  # PATH: dockerd finds docker-init and docker-proxy next to itself, containerd and runc from bookworm.
  PATH="$PREFIX/usr/sbin:$PREFIX/usr/bin:$PATH" setsid nohup "$PREFIX/usr/sbin/dockerd" \
    --config-file "$CONFIG" \
    -H "$HOST" \
    --data-root "$DATA_ROOT" \
    --exec-root "$RUN/exec" \
    --pidfile "$PIDFILE" \
    --containerd-namespace "$NAMESPACE" \
    --containerd-plugins-namespace "$NAMESPACE-plugins" \
    -b "$BRIDGE" \
    --iptables=false --ip6tables=false \
    >"$LOG" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 120); do
    answers && break
    kill -0 "$pid" 2>/dev/null || { log_tail; die "dockerd exited while starting"; }
    sleep 1
  done
  answers || { log_tail; die "the remote engine did not answer on $HOST within 120 s"; }
fi

# 4. What it is: the server must be the unpacked engine and use the containerd image store.
server=$(rdocker version -f '{{.Server.Version}}') || { log_tail; die "docker version failed on $HOST"; }
case $server in
  "${version%%+*}"*) ;;
  *) die "the engine on $HOST is $server, not docker.io $version" ;;
esac
driver=$(rdocker info -f '{{.DriverStatus}}')
if [ "$CONTAINERD_STORE" = true ]; then
  [ "$driver" = "[[driver-type io.containerd.snapshotter.v1]]" ] || die "the remote engine does not use the containerd image store: $driver"
fi
rdocker version -f 'remote-engine: engine {{.Server.Version}} (API {{.Server.APIVersion}}), containerd {{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}, runc {{range .Server.Components}}{{if eq .Name "runc"}}{{.Version}}{{end}}{{end}}' >&2
buildkit=$(rdocker buildx inspect 2>&1 | sed -n 's/^BuildKit version: *//p' | head -1)
[ -n "$buildkit" ] || { rdocker buildx inspect >&2 || true; die "docker buildx inspect on $HOST shows no BuildKit version"; }
log "BuildKit $buildkit on $HOST"

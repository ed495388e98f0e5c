#!/usr/bin/env bash
# Installs and starts the Docker Engine (with its embedded BuildKit) and buildx on Debian 12, as root.
# docker.io from trixie and docker-buildx from sid install on bookworm without touching libc, provided every
# dependency is taken from bookworm: the extra suites are pinned low while we install and removed after.
# Versions are chosen by pattern (the archive replaces revisions such as +b1 rebuilds and security uploads).
# A machine that already runs Docker is treated as a guest would: daemon.json is merged, not overwritten,
# and a daemon this script did not start is restarted only with a message that says so.
set -euo pipefail
# shellcheck source=scripts/apt-newer.sh
. "$(dirname "$0")/apt-newer.sh"

DOCKER_PATTERN=${DOCKER_PATTERN:-'26.1.5+dfsg1-*'}
BUILDX_PATTERN=${BUILDX_PATTERN:-'0.29.1+ds1-*'}
DAEMON_JSON=/etc/docker/daemon.json
OUR_PIDFILE=/run/scratchkit-dockerd.pid
log() { echo "install-docker: $*" >&2; }

# trixie splits the engine: docker.io has dockerd only, the client (/usr/bin/docker) is the docker-cli package.
have_engine() { installed_matches docker.io "$DOCKER_PATTERN" && installed_matches docker-cli "$DOCKER_PATTERN" \
  && installed_matches docker-buildx "$BUILDX_PATTERN"; }

if ! have_engine; then
  log "installing docker.io $DOCKER_PATTERN and docker-buildx $BUILDX_PATTERN"
  install_from_newer "trixie sid" "docker.io=$DOCKER_PATTERN" "docker-cli=$DOCKER_PATTERN" "docker-buildx=$BUILDX_PATTERN"
  have_engine || { log "error: after the install, docker.io/docker-cli/docker-buildx do not match the wanted versions"; exit 1; }
fi

# Merge {"features": {"containerd-snapshotter": true}} into daemon.json, keeping every other setting.
mkdir -p /etc/docker
changed=$(python3 - "$DAEMON_JSON" <<'PY'
import json, os, sys
path = sys.argv[1]
try:
    with open(path) as f:
        text = f.read()
except FileNotFoundError:
    text = ""
try:
    config = json.loads(text) if text.strip() else {}
except json.JSONDecodeError as e:
    sys.exit(f"install-docker: {path} is not valid JSON ({e}); fix it or move it away")
if not isinstance(config, dict):
    sys.exit(f"install-docker: {path} is not a JSON object")
features = config.setdefault("features", {})
if features.get("containerd-snapshotter") is True:
    print("no")
    sys.exit(0)
features["containerd-snapshotter"] = True
tmp = path + ".scratchkit-tmp"
with open(tmp, "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
print("yes")
PY
)

running_pid=$(pgrep -x -o dockerd || true)
if [ "$changed" = yes ] && [ -n "$running_pid" ]; then
  # The daemon reads the snapshotter setting only at start.
  if [ -f "$OUR_PIDFILE" ] && [ "$(cat "$OUR_PIDFILE")" = "$running_pid" ]; then
    log "restarting the dockerd this script started (pid $running_pid) to apply $DAEMON_JSON"
  else
    log "WARNING: restarting a dockerd this script did not start (pid $running_pid): $DAEMON_JSON now enables"
    log "         the containerd image store, which the daemon reads only at start. Its running containers stop."
  fi
  kill "$running_pid"
  for _ in $(seq 1 30); do kill -0 "$running_pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$running_pid" 2>/dev/null && { log "error: dockerd (pid $running_pid) did not stop within 30 s"; exit 1; }
fi

# The Debian client; /usr/local/bin may hold another docker CLI, which works too, but be explicit.
if ! /usr/bin/docker info >/dev/null 2>&1; then
  log "starting dockerd"
  nohup dockerd --iptables=false >/var/log/scratchkit-dockerd.log 2>&1 &
  echo $! >"$OUR_PIDFILE"
  for _ in $(seq 1 180); do
    /usr/bin/docker info >/dev/null 2>&1 && break
    sleep 1
  done
  /usr/bin/docker info >/dev/null 2>&1 || { log "dockerd did not start; log:"; tail -50 /var/log/scratchkit-dockerd.log >&2; exit 1; }
fi
if [ "$(/usr/bin/docker info -f '{{.DriverStatus}}' 2>/dev/null)" != "[[driver-type io.containerd.snapshotter.v1]]" ]; then
  log "error: the running daemon does not use the containerd image store (docker info: $(/usr/bin/docker info -f '{{.Driver}} {{.DriverStatus}}'))"
  exit 1
fi
/usr/bin/docker version -f 'install-docker: engine {{.Server.Version}}, client {{.Client.Version}}' >&2
/usr/bin/docker buildx version >&2

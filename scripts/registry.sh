#!/usr/bin/env bash
# A container registry on loopback (127.0.0.1:5000) for the registry and remote-engine tests, as root on Debian 12:
# Debian's own `docker-registry` package (distribution 2.8 in bookworm), run by this script with a config and a
# storage directory of its own under /var/lib/scratchkit-registry (the package's service stays stopped and unused).
# Docker treats loopback registries as insecure (plain HTTP) by default, so no daemon setting is needed.
# Idempotent: a registry that already answers on the address is left alone. Any failure stops with the reason.
set -euo pipefail

ADDR=${SCRATCHKIT_REGISTRY:-127.0.0.1:5000}
DIR=/var/lib/scratchkit-registry
CONFIG=$DIR/config.yml
PIDFILE=/run/scratchkit-registry.pid
LOG=/var/log/scratchkit-registry.log
log() { echo "registry: $*" >&2; }
die() { log "error: $*"; exit 1; }

answers() { curl -fsS --max-time 5 "http://$ADDR/v2/" >/dev/null 2>&1; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v curl >/dev/null || die "curl is needed"

if answers; then
  log "a registry already answers on http://$ADDR/v2/"
  exit 0
fi

if [ ! -x /usr/bin/docker-registry ]; then
  log "installing docker-registry (bookworm)"
  # The package's init script would start the system service on port 5000; we run our own instead.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null \
    || die "apt-get install docker-registry failed"
  [ -x /usr/bin/docker-registry ] || die "docker-registry installed but /usr/bin/docker-registry is missing"
fi

mkdir -p "$DIR/data"
cat >"$CONFIG.tmp" <<YAML
# Written by scratchkit's scripts/registry.sh: a test registry on loopback, no auth, plain HTTP.
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDR
YAML
mv "$CONFIG.tmp" "$CONFIG"

# A registry this script started earlier but that no longer answers: stop it before starting again.
if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  old=$(cat "$PIDFILE")
  if [ "$(cat /proc/"$old"/comm 2>/dev/null)" = docker-registry ]; then
    log "stopping the unresponsive registry this script started (pid $old)"
    kill "$old"
    for _ in $(seq 1 10); do kill -0 "$old" 2>/dev/null || break; sleep 1; done
  fi
fi

log "starting docker-registry on $ADDR (storage $DIR/data, log $LOG)"
setsid nohup /usr/bin/docker-registry serve "$CONFIG" >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"
for _ in $(seq 1 30); do
  answers && break
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
  sleep 1
done
if ! answers; then
  log "the registry does not answer on http://$ADDR/v2/; log tail:"
  tail -30 "$LOG" >&2 || true
  die "registry did not start"
fi
log "registry answers on http://$ADDR/v2/ (pid $(cat "$PIDFILE"), $(/usr/bin/docker-registry --version 2>/dev/null || echo 'version unknown'))"

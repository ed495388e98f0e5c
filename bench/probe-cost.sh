#!/usr/bin/env bash
# How the probe's cost grows with what it copies (issue 21): cold builds (`--no-cache`) of generated specs
# that copy N sibling files out of one builder directory, and 10 (or 1) files out of a directory of 200,000.
# For each frontend image and case it prints one table row: the checks' steps' time (the probe step
# `[internal] probe the builder's output`, or the two check execs, BuildKit v0.13+'s default; from buildx's
# rawjson progress, each step first start to last completion, summed), the whole build's time, and the frontend's peak RSS
# (VmHWM of its process, read from /proc while it runs), with the machine's load average when it started
# (the times are wall-clock: other work on the machine stretches them).
#
# Usage: bench/probe-cost.sh [FRONTEND_IMAGE[+MODE]|dockerfile...]     (default: scratchkit:dev)
#        IMAGE+MODE: with `--build-arg SCRATCHKIT_CHECKS=MODE` (gateway: the probe; exec);
#        dockerfile: a hand-written Dockerfile that copies the same files with one `COPY --from` (BuildKit's
#        own cost of copying them: the floor any frontend's copies pay).
# Env:   CASES="1000 3000 10000 big"  (a number: that many sibling copies; big: 10 of 200,000 files; big1: 1 of them)
#        BUILD_TIMEOUT=1800 (s per build; a build over it shows as "> N s")  DOCKER=docker
# Needs the builder image of scripts/builder-image.sh (scratchkit-test/go:bookworm), python3, and root (to
# read the frontend's /proc entries). The builder writes empty files and copies a static gofmt as the
# entrypoint: no compiler runs, so the times are the probe's, the checks' and the image's.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=${DOCKER:-docker}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1800}
read -r -a CASES <<<"${CASES:-1000 3000 10000 big}"
IMAGES=("$@")
[ ${#IMAGES[@]} -gt 0 ] || IMAGES=(scratchkit:dev)
BUILDER_IMAGE=scratchkit-test/go:bookworm
CHECK_STEPS=("[internal] probe the builder's output" "[internal] check the builder's output" "[internal] check the image")

tmp=$(mktemp -d)
sampler=
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "probe-cost: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v python3 >/dev/null || die "python3 not found"
"$DOCKER" info >/dev/null 2>&1 || die "docker daemon unreachable"
"$DOCKER" image inspect "$BUILDER_IMAGE" >/dev/null 2>&1 || die "$BUILDER_IMAGE missing: run scripts/builder-image.sh"
for image in "${IMAGES[@]}"; do
  [ "$image" = dockerfile ] && continue
  "$DOCKER" image inspect "${image%+*}" >/dev/null 2>&1 || die "${image%+*} missing: run scripts/frontend-image.sh ${image%+*}"
done

# shape CASE: the directory, how many files are copied, how many it holds.
shape() {
  if [ "$1" = big ] || [ "$1" = big1 ]; then
    echo "/out/big $([ "$1" = big ] && echo 10 || echo 1) 200000"
  else
    echo "/out/files $1 $1"
  fi
}

# dockerfile CASE: the same build as a hand-written Dockerfile, on stdout.
dockerfile() {
  local dir count total
  read -r dir count total <<<"$(shape "$1")"
  echo "FROM $BUILDER_IMAGE AS builder"
  echo "RUN mkdir -p $dir && cp /usr/lib/go-1.19/bin/gofmt /out/app && cd $dir && seq -f f%06g 1 $total | xargs touch"
  echo "FROM scratch"
  echo "COPY --from=builder /out/app /out/app"
  printf 'COPY --from=builder %s %s/\n' "$(seq -f "$dir/f%06g" 1 "$count" | tr '\n' ' ')" "$dir"
  echo 'ENTRYPOINT ["/out/app"]'
}

# spec FRONTEND CASE: the spec of one case, on stdout.
spec() {
  local frontend=$1 dir count total
  read -r dir count total <<<"$(shape "$2")"
  echo "# syntax=$frontend"
  echo "builder:"
  echo "  image: $BUILDER_IMAGE"
  echo "  run: mkdir -p $dir && cp /usr/lib/go-1.19/bin/gofmt /out/app && cd $dir && seq -f f%06g 1 $total | xargs touch"
  echo "copy:"
  echo "  - /out/app"
  seq -f "  - $dir/f%06g" 1 "$count"
  echo "image:"
  echo "  entrypoint: [/out/app]"
}

# peak_rss ID OUT: writes to OUT the largest VmHWM (KiB) of the frontend processes whose environment holds
# build arg PROBE_BENCH=ID, sampled until killed.
peak_rss() {
  local id=$1 out=$2 peak=0 pid hwm
  echo 0 >"$out"
  while :; do
    for pid in $(pgrep -x scratchkit || true); do
      if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -q "=build-arg:PROBE_BENCH=$id\$"; then
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        if [ "${hwm:-0}" -gt "$peak" ]; then
          peak=$hwm
          echo "$peak" >"$out"
        fi
      fi
    done
    sleep 0.1
  done
}

# check_seconds PROGRESS: the check steps' time in a rawjson progress log (each step first start to last
# completion, summed).
check_seconds() {
  python3 - "$1" "${CHECK_STEPS[@]}" <<'EOF'
import json, sys
from datetime import datetime
def t(s):
    s = s.rstrip("Z")
    head, _, frac = s.partition(".")
    return datetime.fromisoformat(head).timestamp() + float("0." + (frac or "0"))
spans, error = {}, False
for line in open(sys.argv[1], errors="replace"):
    try:
        update = json.loads(line)
    except ValueError:
        continue
    for v in update.get("vertexes") or []:
        name = v.get("name")
        if name not in sys.argv[2:]:
            continue
        start, end = spans.get(name, (None, None))
        if v.get("started"):
            start = t(v["started"]) if start is None else min(start, t(v["started"]))
        if v.get("completed"):
            end = t(v["completed"]) if end is None else max(end, t(v["completed"]))
        spans[name] = (start, end)
        error = error or bool(v.get("error"))
done = [e - s for s, e in spans.values() if s is not None and e is not None]
# A probe that failed was dropped and the checks read the builder: its time is not the probe's cost.
print("n/a" if not done else "%.1f s%s" % (sum(done), " (failed)" if error else ""))
EOF
}

echo "| frontend | case | check steps | whole build | frontend peak RSS | load at start |"
echo "|---|---|---|---|---|---|"
for case in "${CASES[@]}"; do
  for image in "${IMAGES[@]}"; do
    id=$(date +%s%N)
    ctx=$tmp/$id
    mkdir -p "$ctx"
    file=$ctx/scratch.yaml args=()
    if [ "$image" = dockerfile ]; then
      file=$ctx/Dockerfile
      dockerfile "$case" >"$file"
    else
      spec "${image%+*}" "$case" >"$file"
      [ "$image" = "${image%+*}" ] || args=(--build-arg "SCRATCHKIT_CHECKS=${image##*+}")
    fi
    case $case in
      big) label="10 of 200,000 files" ;;
      big1) label="1 of 200,000 files" ;;
      *) label="$case siblings" ;;
    esac
    log "$image, $label"
    load=$(cut -d' ' -f1 /proc/loadavg)
    peak_rss "$id" "$tmp/rss" &
    sampler=$!
    start=$(date +%s.%N)
    status=ok
    timeout --foreground "$BUILD_TIMEOUT" "$DOCKER" buildx build --no-cache --progress=rawjson --build-arg "PROBE_BENCH=$id" \
      "${args[@]}" -t "probe-cost:$id" -f "$file" "$ctx" 2>"$tmp/progress" || status=$?
    end=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=
    "$DOCKER" image rm "probe-cost:$id" >/dev/null 2>&1 || true
    whole=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f s", e - s }')
    case $status in
      ok) ;;
      124) whole="> $BUILD_TIMEOUT s (timed out)" ;;
      *) whole="$whole (failed: exit $status)"; grep -a '^ERROR' "$tmp/progress" >&2 || tail -3 "$tmp/progress" >&2 ;;
    esac
    probe=$(check_seconds "$tmp/progress")
    rss=$(awk '{ printf "%.1f MiB", $1 / 1024 }' "$tmp/rss")
    [ "$image" != dockerfile ] || rss="n/a (Docker's own frontend)"
    echo "| $image | $label | $probe | $whole | $rss | $load |"
    rm -rf "$ctx"
  done
done

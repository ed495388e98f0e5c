#!/usr/bin/env bash
# What the build-time checks cost (issue 20 item 5), per frontend image and case, as one markdown table:
#   - "checks": the check steps of a cold build (`--no-cache`), from buildx's rawjson progress: the execs
#     `[internal] check the builder's output` and `[internal] check the image` (the exec design), or the probe
#     step `[internal] probe the builder's output` (the gateway design; its reads of the builder and the
#     image happen inside the frontend and show in no step: the cold build's time holds them);
#   - "cold": the whole cold build; "rebuild": a no-change rebuild (median of RUNS); "outline": `--call
#     outline` of the same spec (median of RUNS: the floor of any `# syntax=` frontend); and their difference.
# Targets: checks < 2 s for examples/python and < 5 s for the 30,000-file tree; rebuild − outline ≤ 0.15 s.
#
# Usage: bench/checks-cost.sh [FRONTEND_IMAGE[+MODE]|dockerfile...]  (default: scratchkit:dev scratchkit:dev+gateway)
#        IMAGE+MODE builds with `--build-arg SCRATCHKIT_CHECKS=MODE`: `gateway` (the probe and gateway reads) or
#        `exec`; without it, the frontend's default (the execs on BuildKit v0.13+).
#        dockerfile: the case's examples/CASE/Dockerfile.handwritten, built by Docker's built-in frontend (cases
#        without one are skipped): what any image-producing build pays over its own `--call outline` here.
# Env:   CASES="python smallest tree30k" (an examples/ directory; tree30k: a generated tree of 30,000 files;
#        big1: 1 file copied out of a directory of 200,000, issue 21's probe case)
#        RUNS=3  DOCKER=docker  BUILD_TIMEOUT=900
# Never prunes: "cold" is `--no-cache` (the builder image stays in the image store).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=${DOCKER:-docker}
RUNS=${RUNS:-3}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-900}
read -r -a CASES <<<"${CASES:-python smallest tree30k}"
IMAGES=("$@")
[ ${#IMAGES[@]} -gt 0 ] || IMAGES=(scratchkit:dev scratchkit:dev+gateway)
STEPS='["[internal] check the builder'"'"'s output", "[internal] check the image", "[internal] probe the builder'"'"'s output"]'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log() { echo "checks-cost: $*" >&2; }

# context CASE DIR: the build context of a case in DIR.
context() {
  local case=$1 dir=$2
  if [ "$case" = tree30k ]; then
    mkdir -p "$dir"
    {
      echo "builder:"
      echo "  image: scratchkit-test/go:bookworm"
      echo "  run: mkdir -p /out/tree && cp /usr/lib/go-1.19/bin/gofmt /out/app && cd /out/tree && for d in \$(seq 1 100); do mkdir d\$d && (cd d\$d && seq -f f%03g 1 300 | xargs touch); done"
      echo "copy:"
      echo "  - /out/app"
      echo "  - {from: /out/tree, to: /srv/tree}"
      echo "image:"
      echo "  entrypoint: [/out/app]"
    } >"$dir/scratch.yaml"
  elif [ "$case" = big1 ]; then
    mkdir -p "$dir"
    {
      echo "builder:"
      echo "  image: scratchkit-test/go:bookworm"
      echo "  run: mkdir -p /out/big && cp /usr/lib/go-1.19/bin/gofmt /out/app && cd /out/big && seq -f f%06g 1 200000 | xargs touch"
      echo "copy:"
      echo "  - /out/app"
      echo "  - /out/big/f000001"
      echo "image:"
      echo "  entrypoint: [/out/app]"
    } >"$dir/scratch.yaml"
  else
    cp -r "examples/$case" "$dir"
  fi
}

# build IMAGE DIR PROGRESS [ARGS...]: one build's wall time in seconds.
build() {
  local image=${1%+*} dir=$2 progress=$3 start end how=()
  if [ "$1" = dockerfile ]; then
    how=(-f "$dir/Dockerfile.handwritten")
  else
    how=(--build-arg "BUILDKIT_SYNTAX=$image" -f "$dir/scratch.yaml")
    [ "$1" = "$image" ] || how+=(--build-arg "SCRATCHKIT_CHECKS=${1##*+}")
  fi
  shift 3
  start=$(date +%s.%N)
  timeout "$BUILD_TIMEOUT" "$DOCKER" buildx build --progress=rawjson "${how[@]}" "$@" \
    "$dir" 2>"$progress" >/dev/null || { log "build failed: $(grep -a -m3 ERROR "$progress" || tail -3 "$progress")"; echo fail; return; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }'
}

# steps PROGRESS: the seconds the check steps took (their spans, each first start to last completion).
steps() {
  python3 - "$1" "$STEPS" <<'EOF'
import json, sys
from datetime import datetime
def t(s):
    head, _, frac = s.rstrip("Z").partition(".")
    return datetime.fromisoformat(head).timestamp() + float("0." + (frac or "0"))
names = json.loads(sys.argv[2])
spans = {}
for line in open(sys.argv[1], errors="replace"):
    try:
        update = json.loads(line)
    except ValueError:
        continue
    for v in update.get("vertexes") or []:
        if v.get("name") in names and v.get("started") and v.get("completed") and not v.get("cached"):
            s, e = spans.get(v["digest"], (None, None))
            spans[v["digest"]] = (min(filter(None, [s, t(v["started"])])), max(filter(None, [e, t(v["completed"])])))
print("%.2f" % sum(e - s for s, e in spans.values()) if spans else "n/a")
EOF
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| frontend | case | checks (cold) | cold build | no-change rebuild | outline | rebuild − outline |"
echo "|---|---|---:|---:|---:|---:|---:|"
for case in "${CASES[@]}"; do
  for image in "${IMAGES[@]}"; do
    if [ "$image" = dockerfile ] && [ ! -f "examples/$case/Dockerfile.handwritten" ]; then
      log "$case has no Dockerfile.handwritten: no dockerfile row"
      continue
    fi
    dir=$tmp/$case-$RANDOM
    context "$case" "$dir"
    log "$image, $case: cold"
    cold=$(build "$image" "$dir" "$tmp/cold" --no-cache)
    checks=$(steps "$tmp/cold")
    [ "$checks" = n/a ] || checks="$checks s"
    build "$image" "$dir" "$tmp/warm" >/dev/null # the cache of this very spec, as a rebuild finds it
    rebuilds=$(for _ in $(seq "$RUNS"); do build "$image" "$dir" "$tmp/warm"; echo; done | median)
    outlines=$(for _ in $(seq "$RUNS"); do build "$image" "$dir" "$tmp/outline" --call outline; echo; done | median)
    diff=$(awk -v r="$rebuilds" -v o="$outlines" 'BEGIN { printf "%+.2f", r - o }')
    echo "| $image | $case | $checks | $cold s | $rebuilds s | $outlines s | $diff s |"
    rm -rf "$dir"
  done
done

#!/usr/bin/env bash
# A fresh CI runner with a warm registry cache: scratchkit against the hand-written Dockerfile, side by side.
#
# Per app and per run, for each variant (scratchkit: examples/APP/scratch.yaml; handwritten:
# examples/APP/Dockerfile.handwritten; their order alternates from run to run):
#   1. a temporary copy of the example whose main.go gets a fresh comment (sources no engine has built), the
#      frontend and builder images named by their registry tags (127.0.0.1:5000/…), as in a pipeline;
#   2. the exporter builds it with `--cache-to type=registry,ref=<registry>/bench-cache/…,mode=max`:
#      the cache an earlier pipeline run left (not timed). EXPORTER=first (default): the first engine
#      (Docker 26.1.5, BuildKit v0.13), another BuildKit version than the runner's (28.5.2), whose keys of
#      some ops differ (docs/dev/analysis-exec.md); EXPORTER=remote: the runner's engine itself;
#   3. the remote engine (scripts/remote-engine.sh) is made a fresh runner: its build cache pruned and
#      every image removed, so the frontend image, the builder image and the cache all come from the registry;
#   4. timed: the remote engine builds with `--cache-from type=registry,ref=…` and `--push`, as CI does.
# It prints a markdown table (medians and [min–max] of RUNS runs, the ratio scratchkit/Dockerfile, the floor
# of any `# syntax=` frontend on the same fresh runner (`--call outline`: pull, start, read the spec, answer),
# and whether the builder step came from the cache) and the target (≤ 1.10×).
#
# With both cgo and smallest it also prints cgo's time over smallest's (issue 20's target: ≤ 1.2×: the
# dynamic binary's libraries come from the cached checks, not from pulling the builder).
#
# Usage: bench/cache.sh [APP...]     (default: smallest)
# Env:   RUNS=3  EXPORTER=first|remote  CHECKS=(unset)|exec|gateway  DOCKER=docker  REMOTE_HOST=unix:///run/scratchkit-remote/docker.sock  BUILD_TIMEOUT=600
#        LOG_DIR=DIR keeps each timed build's plain progress log there (where the time went).
# Needs: scripts/test.sh's setup (builder and frontend images, scripts/registry.sh, scripts/remote-engine.sh).
# Runtime on 2 cores, default app, RUNS=3: about 8 minutes (each prune of the remote engine takes ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DOCKER=${DOCKER:-docker}
REMOTE_HOST=${REMOTE_HOST:-unix:///run/scratchkit-remote/docker.sock}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-600}
REGISTRY=127.0.0.1:5000
FRONTEND_IMAGE=${SCRATCHKIT_FRONTEND:-scratchkit:dev}
BUILDER_IMAGE=scratchkit-test/go:bookworm
MAX_RATIO=1.10
EXPORTER=${EXPORTER:-first}
checks_arg=()
[ -z "${CHECKS:-}" ] || checks_arg=(--build-arg "SCRATCHKIT_CHECKS=$CHECKS")
APPS=("$@")
[ ${#APPS[@]} -gt 0 ] || APPS=(smallest)

log() { echo "cache-bench: $*" >&2; }
die() { log "error: $*"; exit 1; }
local_docker() { timeout "$BUILD_TIMEOUT" "$DOCKER" "$@"; }
remote_docker() { DOCKER_HOST=$REMOTE_HOST timeout "$BUILD_TIMEOUT" "$DOCKER" "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$DOCKER" info >/dev/null 2>&1 || die "the first engine is unreachable; run scripts/install-docker.sh"
remote_docker version >/dev/null 2>&1 || die "the remote engine at $REMOTE_HOST is unreachable; run scripts/remote-engine.sh"
curl -fsS --max-time 10 "http://$REGISTRY/v2/" >/dev/null || die "no registry on $REGISTRY; run scripts/registry.sh"
command -v jq >/dev/null || die "jq is needed"

# The images a pipeline takes from its registry.
reg_frontend=$REGISTRY/$FRONTEND_IMAGE
reg_builder=$REGISTRY/$BUILDER_IMAGE
for pair in "$FRONTEND_IMAGE $reg_frontend" "$BUILDER_IMAGE $reg_builder"; do
  read -r local_tag reg_tag <<<"$pair"
  local_docker tag "$local_tag" "$reg_tag"
  local_docker push --quiet "$reg_tag" >/dev/null || die "pushing $reg_tag failed"
done
log "frontend $reg_frontend, builder $reg_builder"

# A copy of examples/APP for VARIANT with new sources; prints the file to pass to -f.
workspace() {
  local app=$1 variant=$2 dir=$3 nonce=$4
  mkdir -p "$dir"
  cp -r "examples/$app/." "$dir/"
  printf '\n// cache bench %s\n' "$nonce" >>"$dir/main.go"
  case $variant in
    scratchkit)
      sed -i "1s|^# syntax=.*|# syntax=$reg_frontend|; s|image: $BUILDER_IMAGE|image: $reg_builder|" "$dir/scratch.yaml"
      echo "$dir/scratch.yaml" ;;
    handwritten)
      sed -i "s|^FROM $BUILDER_IMAGE |FROM $reg_builder |" "$dir/Dockerfile.handwritten"
      echo "$dir/Dockerfile.handwritten" ;;
  esac
}

fresh_runner() {
  remote_docker buildx prune --all --force >/dev/null
  local ids
  ids=$(remote_docker image ls -aq | sort -u)
  [ -z "$ids" ] || remote_docker image rm --force $ids >/dev/null 2>&1 || true
  [ -z "$(remote_docker image ls -aq)" ] || die "the remote engine still has images after cleaning"
}

now_ms() { date +%s%3N; }

declare -A times cached floor
for app in "${APPS[@]}"; do
  [ -f "examples/$app/scratch.yaml" ] && [ -f "examples/$app/Dockerfile.handwritten" ] \
    || die "examples/$app needs scratch.yaml and Dockerfile.handwritten"
  for run in $(seq 1 "$RUNS"); do
    order=(scratchkit handwritten)
    [ $((run % 2)) -eq 0 ] && order=(handwritten scratchkit)
    for variant in "${order[@]}"; do
      nonce="$app-$variant-$run-$(date +%s%N)"
      dir=$tmp/$nonce
      file=$(workspace "$app" "$variant" "$dir" "$nonce")
      cache=$REGISTRY/bench-cache/$app-$variant:$run-$$
      exporter=local_docker
      [ "$EXPORTER" = first ] || exporter=remote_docker
      "$exporter" buildx build --progress plain -f "$file" "${checks_arg[@]}" --cache-to "type=registry,ref=$cache,mode=max" \
        -t "bench/$app-$variant:warm" "$dir" >"$dir.warm.log" 2>&1 || { cat "$dir.warm.log" >&2; die "warming $cache failed"; }
      fresh_runner
      start=$(now_ms)
      remote_docker buildx build --progress plain -f "$file" "${checks_arg[@]}" --cache-from "type=registry,ref=$cache" \
        --push -t "$REGISTRY/bench/$app-$variant:$run-$$" "$dir" >"$dir.log" 2>&1 \
        || { cat "$dir.log" >&2; die "the remote build of $app ($variant) failed"; }
      ms=$(( $(now_ms) - start ))
      times[$app,$variant]+="$ms "
      # The compile step (its name holds `go build`): `#N CACHED` when its result came from the cache.
      step=$(grep -m1 -oE '^#[0-9]+ .*go build' "$dir.log" | cut -d' ' -f1 || true)
      if [ -n "$step" ] && grep -qx "$step CACHED" "$dir.log"; then
        cached[$app,$variant]+="y"
      else
        cached[$app,$variant]+="n"
      fi
      log "$app $variant run $run: ${ms} ms (compile from cache: ${cached[$app,$variant]: -1})"
      if [ -n "${LOG_DIR:-}" ]; then mkdir -p "$LOG_DIR" && cp "$dir.log" "$LOG_DIR/$app-$variant-$run.log"; fi
      local_docker image rm "bench/$app-$variant:warm" >/dev/null 2>&1 || true
    done
  done
  # The floor of any `# syntax=` frontend on a fresh runner: pull the frontend image, start it, read the
  # spec, answer (`--call outline` builds nothing). Docker's built-in Dockerfile frontend does not pay it.
  for run in $(seq 1 "$RUNS"); do
    dir=$tmp/$app-floor-$run
    file=$(workspace "$app" scratchkit "$dir" "floor-$run")
    fresh_runner
    start=$(now_ms)
    remote_docker buildx build --call outline -f "$file" "$dir" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; die "--call outline of $app failed"; }
    floor[$app]+="$(( $(now_ms) - start )) "
  done
  log "$app floor (--call outline): ${floor[$app]}ms"
done

# median and [min–max] of a list of milliseconds, in seconds.
stats() {
  sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2;
    printf "%.1f s [%.1f–%.1f]", m/1000, a[1]/1000, a[NR]/1000}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo
echo "Fresh runner (remote engine: empty store, no build cache) + warm registry cache (exported by the $EXPORTER engine), \`--cache-from\` and \`--push\`; checks: ${CHECKS:-default}; $RUNS runs"
echo
echo "| app | scratchkit | hand-written Dockerfile | ratio (median of runs; of medians) | \`# syntax=\` floor | compile from cache (scratchkit / Dockerfile) |"
echo "|---|---:|---:|---:|---:|---|"
worst=0
for app in "${APPS[@]}"; do
  s=$(tr ' ' '\n' <<<"${times[$app,scratchkit]}" | grep . | stats)
  h=$(tr ' ' '\n' <<<"${times[$app,handwritten]}" | grep . | stats)
  sm=$(tr ' ' '\n' <<<"${times[$app,scratchkit]}" | grep . | median)
  hm=$(tr ' ' '\n' <<<"${times[$app,handwritten]}" | grep . | median)
  # Runs drift (the registry fills up), and a run's two builds are back to back: the median of each run's own
  # ratio is the fairer figure; the ratio of the medians is shown beside it.
  ratio=$(paste <(tr ' ' '\n' <<<"${times[$app,scratchkit]}" | grep .) <(tr ' ' '\n' <<<"${times[$app,handwritten]}" | grep .) \
    | awk '{print $1/$2}' | sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  of_medians=$(awk -v s="$sm" -v h="$hm" 'BEGIN {printf "%.2f", s/h}')
  worst=$(awk -v a="$worst" -v b="$ratio" 'BEGIN {print (b > a) ? b : a}')
  f=$(tr ' ' '\n' <<<"${floor[$app]}" | grep . | stats)
  echo "| $app | $s | $h | ${ratio}×; ${of_medians}× | $f | ${cached[$app,scratchkit]} / ${cached[$app,handwritten]} |"
done
echo
verdict=$(awk -v w="$worst" -v m="$MAX_RATIO" 'BEGIN {print (w <= m) ? "met" : "MISSED"}')
echo "target: scratchkit ≤ ${MAX_RATIO}× the hand-written Dockerfile on a fresh runner with a warm cache: $verdict (worst ${worst}×)"
if [ -n "${times[cgo,scratchkit]:-}" ] && [ -n "${times[smallest,scratchkit]:-}" ]; then
  c=$(tr ' ' '\n' <<<"${times[cgo,scratchkit]}" | grep . | median)
  m=$(tr ' ' '\n' <<<"${times[smallest,scratchkit]}" | grep . | median)
  echo "cgo / smallest with scratchkit (medians): $(awk -v c="$c" -v m="$m" 'BEGIN {printf "%.2f", c/m}')× (target ≤ 1.2×)"
fi

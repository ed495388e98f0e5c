#!/usr/bin/env bash
# Compares scratchkit (examples/APP/scratch.yaml) with the equivalent hand-written multi-stage Dockerfile
# (examples/APP/Dockerfile.handwritten, built by Docker's built-in Dockerfile frontend).
#
# Per app and per run, for each of the two variants (their order alternates from run to run):
#   1. a fresh temporary copy of examples/APP (the edit below must never touch the repository),
#   2. `docker buildx prune -af`, then a cold build `--no-cache` (the prune also drops the frontend's own
#      cached pieces: that is what "cold" means here),
#   3. the same build again (no change, warm cache),
#   4. one appended comment line in main.go, and the build again (a one-line source change).
# It prints one markdown table per app (medians of RUNS runs, [min–max] for timings, ratio
# scratchkit/Dockerfile), the spec→LLB table of `cargo bench --bench spec_to_llb`, and a summary of targets.
#
# Usage: bench/compare.sh [APP...]    (default: smallest certs)
# Env:   RUNS=3  DOCKER=docker  DAEMON_LOG=/var/log/scratchkit-dockerd.log  BUILD_TIMEOUT=300 (s per build)
#        QUIET_BUDGET=180: seconds in all that the bench may wait for other builds/compiles to finish first.
#        SKIP_CARGO_BENCH=1 skips the spec→LLB bench (its target then shows as "not run").
# Needs the images of scripts/builder-image.sh and scripts/frontend-image.sh, jq, and a readable daemon log
# (the frontend's stderr, with its "frontend finished in N ms" line, goes to dockerd's stderr).
# Runtime on 2 cores, default apps, RUNS=3: about 2.5 minutes on a quiet machine, plus up to QUIET_BUDGET
# when other builds run, plus ~70 s when cargo must recompile the bench; every build is capped by BUILD_TIMEOUT.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DOCKER=${DOCKER:-docker}
DAEMON_LOG=${DAEMON_LOG:-/var/log/scratchkit-dockerd.log}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-300}
QUIET_BUDGET=${QUIET_BUDGET:-180}
FRONTEND_IMAGE=scratchkit:dev
BUILDER_IMAGE=scratchkit-test/go:bookworm
VARIANTS=(scratchkit handwritten)
APPS=("$@")
[ ${#APPS[@]} -gt 0 ] || APPS=(smallest certs)

# Targets of the summary.
MAX_COLD_RATIO=1.10
MAX_WARM_RATIO=1.5
MAX_FRONTEND_MS=150
MAX_SPEC_TO_LLB_US=1000

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log() { echo "compare: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------------------
# Small numeric helpers (bash has no floats).

median() { printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) print "n/a"; else if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
minmax() { printf '%s\n' "$@" | sort -g | awk 'NF { if (!n++) lo = $1; hi = $1 } END { if (n) printf "%s–%s", lo, hi; else printf "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2fx", a / b }'; }
# le A B: true when A <= B (floats).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 <= b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a + 0 < b + 0) }'; }
human() { awk -v b="$1" 'BEGIN { if (b == "n/a") print b; else if (b >= 1048576) printf "%d (%.2f MiB)", b, b / 1048576; else printf "%d (%.1f KiB)", b, b / 1024 }'; }
now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }

# Measurements: R["app/variant/metric"] holds the space-separated values of all runs.
declare -A R
add() { R[$1]+="${R[$1]:+ }$2"; }
values() { echo "${R[$1]:-}"; }
# shellcheck disable=SC2046 # word splitting of the collected numbers is wanted
med() { median $(values "$1"); }
# shellcheck disable=SC2046
spread() { minmax $(values "$1"); }

# ---------------------------------------------------------------------------------------------------------
# Preflight: fail before spending minutes if something the numbers depend on is missing.

preflight() {
  command -v jq >/dev/null || die "jq not found"
  command -v timeout >/dev/null || die "timeout (coreutils) not found"
  "$DOCKER" info >/dev/null 2>&1 || die "docker daemon unreachable"
  "$DOCKER" image inspect "$FRONTEND_IMAGE" >/dev/null 2>&1 || die "$FRONTEND_IMAGE missing: run scripts/frontend-image.sh"
  "$DOCKER" image inspect "$BUILDER_IMAGE" >/dev/null 2>&1 || die "$BUILDER_IMAGE missing: run scripts/builder-image.sh"
  [ -r "$DAEMON_LOG" ] || die "daemon log $DAEMON_LOG is not readable (set DAEMON_LOG to where dockerd's stderr goes)"
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'"
  local app
  for app in "${APPS[@]}"; do
    for f in scratch.yaml Dockerfile.handwritten main.go; do
      [ -f "examples/$app/$f" ] || die "examples/$app has no $f (an app needs scratch.yaml, Dockerfile.handwritten and main.go)"
    done
  done
}

# ---------------------------------------------------------------------------------------------------------
# spec→LLB: run first, so that its compile (about a minute when src/ changed) does not overlap any timed build.

SPEC_TO_LLB_MAX_US=n/a
spec_to_llb_bench() {
  local out=$tmp/spec_to_llb.md
  if [ "${SKIP_CARGO_BENCH:-}" = 1 ]; then
    echo "(skipped: SKIP_CARGO_BENCH=1)" >"$out"
    return
  fi
  log "cargo bench --bench spec_to_llb"
  if ! cargo bench --bench spec_to_llb >"$out" 2>"$tmp/cargo.err"; then
    tail -40 "$tmp/cargo.err" >&2
    die "cargo bench --bench spec_to_llb failed"
  fi
  # The slowest spec's median decides the target. Rows look like "| name | ops | 147.6 µs | 115.4 µs | 501 |".
  SPEC_TO_LLB_MAX_US=$(awk -F'|' '$4 ~ /µs/ { v = $4 + 0; if (v > m) m = v; n++ } END { if (n) print m; else print "n/a" }' "$out")
  [ "$SPEC_TO_LLB_MAX_US" != n/a ] || { cat "$out" >&2; die "no µs rows in the spec_to_llb output"; }
}

# ---------------------------------------------------------------------------------------------------------
# Frontend time: the frontend writes "scratchkit: frontend finished in N ms, own M ms (exit C)" to its
# stderr (own = N minus the time its builder stages were building, which it only waits for), which
# BuildKit (embedded in dockerd) passes to the daemon's own stderr, i.e. $DAEMON_LOG. The line carries no
# build id, so each build gets the window of log bytes written while it ran. A scratchkit build must add
# exactly one line; more lines (or any line during a Dockerfile build) mean someone else's scratchkit build
# ran at the same time: such a window is not used for the median, and it is counted as "disturbed".

log_offset() { stat -c %s "$DAEMON_LOG"; }

# frontend_ms_since OFFSET: "N M" (lifetime, own time) of each "frontend finished" line written after OFFSET.
frontend_ms_since() {
  local size
  size=$(log_offset)
  [ "$size" -ge "$1" ] || die "$DAEMON_LOG shrank during the bench (rotated?); frontend times are unusable"
  tail -c +"$(($1 + 1))" "$DAEMON_LOG" | sed -n 's/.*scratchkit: frontend finished in \([0-9.]*\) ms, own \([0-9.]*\) ms.*/\1 \2/p'
}

# collect_frontend APP VARIANT KIND OFFSET
collect_frontend() {
  local app=$1 variant=$2 kind=$3 offset=$4 ms count tries=0
  while :; do
    ms=$(frontend_ms_since "$offset")
    # The frontend logs after it has handed its result over; give a line racing the build's end 5 s to land.
    if [ "$variant" != scratchkit ] || [ -n "$ms" ]; then break; fi
    tries=$((tries + 1))
    [ "$tries" -le 50 ] || die "no 'frontend finished' line in $DAEMON_LOG after a scratchkit build: is that where the frontend's stderr goes?"
    sleep 0.1
  done
  count=$(printf '%s' "$ms" | grep -c . || true)
  if [ "$variant" = scratchkit ] && [ "$count" -eq 1 ]; then
    add "$app/$variant/fe_$kind" "${ms% *}"
    add "$app/$variant/fe_all" "${ms% *}"
    add "$app/$variant/own_$kind" "${ms#* }"
    add "$app/$variant/own_all" "${ms#* }"
  elif [ "$variant" = scratchkit ] || [ "$count" -gt 0 ]; then
    add "$app/disturbed" "run$CURRENT_RUN:$variant-$kind"
    log "  note: $count frontend lines in the log window of this $variant $kind build (concurrent builds?)"
  fi
}

# Other builds or compiles on the machine (this is a shared dev box) skew every timing: wait for them to
# finish, within a bounded budget so the runtime stays bounded, and remember the builds they overlapped.
other_work() { pgrep -fc 'buildx build|rustc|cargo (build|test|bench)' || true; }
QUIET_WAITED=0
wait_quiet() {
  while [ "$(other_work)" -gt 0 ] && [ "$QUIET_WAITED" -lt "$QUIET_BUDGET" ]; do
    sleep 1
    QUIET_WAITED=$((QUIET_WAITED + 1))
  done
}

# ---------------------------------------------------------------------------------------------------------
# Builds.

dockerfile_of() {
  case $1 in
    scratchkit) echo scratch.yaml ;;
    handwritten) echo Dockerfile.handwritten ;;
    *) die "unknown variant $1" ;;
  esac
}

# timed_build APP VARIANT KIND DIR TAG [buildx args...]: builds, sets BUILD_SECONDS, records the frontend
# time. Not run in a subshell, so that it can record into R.
BUILD_SECONDS=
CURRENT_RUN=0
timed_build() {
  local app=$1 variant=$2 kind=$3 dir=$4 tag=$5
  shift 5
  local file offset start end busy
  file=$dir/$(dockerfile_of "$variant")
  wait_quiet
  busy=$(other_work)
  offset=$(log_offset)
  start=$(now)
  if ! timeout "$BUILD_TIMEOUT" "$DOCKER" buildx build --progress plain --load -t "$tag" -f "$file" "$@" "$dir" >"$tmp/build.log" 2>&1; then
    tail -40 "$tmp/build.log" >&2
    die "$kind build of $file failed (or took longer than ${BUILD_TIMEOUT}s)"
  fi
  end=$(now)
  BUILD_SECONDS=$(elapsed "$start" "$end")
  add "$app/$variant/$kind" "$BUILD_SECONDS"
  collect_frontend "$app" "$variant" "$kind" "$offset"
  busy=$((busy + $(other_work)))
  [ "$busy" -eq 0 ] || add "$app/busy" "run$CURRENT_RUN:$variant-$kind"
}

# time_gateway_floor APP DIR: `--call outline` through the same frontend image: BuildKit resolves the
# frontend, starts its container, the frontend reads the spec and answers, the container goes away. That
# is the floor any `# syntax=` frontend pays on every build, which the built-in Dockerfile frontend does not.
time_gateway_floor() {
  local app=$1 dir=$2 start end
  wait_quiet
  start=$(now)
  if ! timeout "$BUILD_TIMEOUT" "$DOCKER" buildx build --call outline -f "$dir/scratch.yaml" "$dir" >"$tmp/outline.log" 2>&1; then
    cat "$tmp/outline.log" >&2
    die "--call outline of $dir/scratch.yaml failed"
  fi
  end=$(now)
  add "$app/scratchkit/floor" "$(elapsed "$start" "$end")"
}

# ---------------------------------------------------------------------------------------------------------
# Layers. Method: `docker save` (with the containerd image store it writes an OCI layout plus a Docker-style
# manifest.json). manifest.json's Layers (blob paths, in order) pair up with the image config's
# rootfs.diff_ids (same order). A layer "changed" when its diff_id (digest of the uncompressed tar, i.e. of
# the content, independent of how the blob was compressed) is not among the diff_ids of the image before the
# edit. Its bytes are the size of its blob in the saved archive: the compressed layer, what a push or pull
# transfers. This needs no knowledge of the store's internals, unlike matching `docker history` rows.

# save_layers IMAGE DIR: extracts the saved image into DIR and writes DIR/layers: "diff_id bytes blob_path".
save_layers() {
  local image=$1 dir=$2 config
  mkdir -p "$dir"
  "$DOCKER" save "$image" | tar -x -C "$dir" || die "docker save $image failed"
  config=$(jq -r '.[0].Config' "$dir/manifest.json")
  paste -d' ' <(jq -r '.rootfs.diff_ids[]' "$dir/$config") <(jq -r '.[0].Layers[]' "$dir/manifest.json") |
    while read -r diff_id blob; do
      [ -n "$blob" ] || die "$image: more diff_ids than layer blobs in its saved manifest"
      echo "$diff_id $(stat -c %s "$dir/$blob") $blob"
    done >"$dir/layers"
  [ "$(wc -l <"$dir/layers")" -eq "$(jq '.[0].Layers | length' "$dir/manifest.json")" ] \
    || die "$image: diff_ids and layer blobs do not pair up"
}

# compare_layers APP VARIANT BEFORE_IMAGE AFTER_IMAGE: records the count and bytes of the layers the edit
# changed, and whether the only changed layer is the one holding the entrypoint binary (the app layer).
compare_layers() {
  local app=$1 variant=$2 before=$tmp/before after=$tmp/after
  rm -rf "$before" "$after"
  save_layers "$3" "$before"
  save_layers "$4" "$after"
  local changed count bytes entry app_only=no
  changed=$(awk 'NR == FNR { old[$1] = 1; next } !($1 in old)' "$before/layers" "$after/layers")
  count=$(printf '%s' "$changed" | grep -c . || true)
  bytes=$(printf '%s\n' "$changed" | awk '{ s += $2 } END { print s + 0 }')
  add "$app/$variant/changed_layers" "$count"
  add "$app/$variant/changed_bytes" "$bytes"
  add "$app/$variant/layers" "$(wc -l <"$after/layers")"
  # "Only the app layer": exactly one new layer, and the entrypoint binary is in it.
  entry=$("$DOCKER" image inspect -f '{{json .Config.Entrypoint}}' "$4" | jq -r '.[0] // empty')
  if [ "$count" -eq 1 ] && [ -n "$entry" ]; then
    local blob=${changed##* }
    if tar -tf "$after/$blob" | sed 's#^\./##; s#^/##' | grep -qxF "${entry#/}"; then
      app_only=yes
    fi
  fi
  add "$app/$variant/app_only" "$app_only"
  # What the changed layers hold, for the report (the last run's list wins).
  R[$app/$variant/changed_files]=$(for blob in $(printf '%s\n' "$changed" | awk 'NF { print $3 }'); do
    tar -tf "$after/$blob"
  done | sed 's#^\./##' | { grep -v '/$' || true; } | head -5 | paste -sd, -)
}

# The numbers mean nothing if the image does not work: run it as the e2e tests do.
smoke_run() {
  "$DOCKER" run --rm --network none --add-host example.com:127.0.0.1 "$1" >"$tmp/run.log" 2>&1 \
    || { cat "$tmp/run.log" >&2; die "$1 does not run green"; }
}

# measure APP VARIANT RUN: one cold, one no-change and one after-edit build, on a fresh copy of the example.
measure() {
  local app=$1 variant=$2 run=$3
  CURRENT_RUN=$run
  local work=$tmp/work-$app-$variant-$run repo=scratchkit-bench/$app-$variant
  rm -rf "$work"
  cp -a "examples/$app/." "$work"

  wait_quiet
  "$DOCKER" buildx prune -af >/dev/null 2>"$tmp/prune.err" || { cat "$tmp/prune.err" >&2; die "docker buildx prune -af failed"; }
  timed_build "$app" "$variant" cold "$work" "$repo:base" --no-cache
  local cold=$BUILD_SECONDS
  add "$app/$variant/size" "$("$DOCKER" image inspect -f '{{.Size}}' "$repo:base")"

  timed_build "$app" "$variant" warm "$work" "$repo:base"
  local warm=$BUILD_SECONDS
  [ "$variant" != scratchkit ] || time_gateway_floor "$app" "$work"

  # A comment still changes the binary: Go's build ID hashes the source files. compare_layers checks it.
  echo "// scratchkit bench: one-line edit, run $run" >>"$work/main.go"
  timed_build "$app" "$variant" edit "$work" "$repo:edited"
  local edit=$BUILD_SECONDS

  compare_layers "$app" "$variant" "$repo:base" "$repo:edited"
  log "  run $run $variant: cold ${cold}s, no-change ${warm}s, edit ${edit}s"
  rm -rf "$work"
}

# ---------------------------------------------------------------------------------------------------------
# Reports.

# Fraction of runs for which a per-run yes/no value is yes.
yes_runs() { values "$1" | awk '{ for (i = 1; i <= NF; i++) y += ($i == "yes") } END { printf "%d/%d", y, NF }'; }

timing_row() {
  local app=$1 label=$2 metric=$3 s h
  s=$(med "$app/scratchkit/$metric") h=$(med "$app/handwritten/$metric")
  echo "| $label | $s [$(spread "$app/scratchkit/$metric")] | $h [$(spread "$app/handwritten/$metric")] | $(ratio "$s" "$h") |"
}

frontend_row() {
  local app=$1 label=$2 key=$3 v
  v=$(values "$app/scratchkit/$key")
  if [ -n "$v" ]; then
    echo "| $label | $(med "$app/scratchkit/$key") [$(spread "$app/scratchkit/$key")] | — | |"
  else
    echo "| $label | n/a (no undisturbed window) | — | |"
  fi
}

report_app() {
  local app=$1 s=scratchkit h=handwritten
  echo
  echo "### examples/$app"
  echo
  echo "Median of $RUNS runs [min–max]; ratio = scratch.yaml / Dockerfile.handwritten."
  echo
  echo "| metric | scratch.yaml | Dockerfile.handwritten | ratio |"
  echo "|---|---:|---:|---:|"
  timing_row "$app" "cold build (prune + --no-cache), s" cold
  timing_row "$app" "no-change rebuild, s" warm
  timing_row "$app" "rebuild after a one-line edit of main.go, s" edit
  echo "| gateway frontend floor: \`--call outline\` (frontend start, spec read, answer), s | $(med "$app/$s/floor") [$(spread "$app/$s/floor")] | — | |"
  local ss hs
  ss=$(med "$app/$s/size") hs=$(med "$app/$h/size")
  echo "| image size (docker image inspect .Size), bytes | $(human "$ss") | $(human "$hs") | $(ratio "$ss" "$hs") |"
  echo "| layers (.RootFS.Layers) | $(med "$app/$s/layers") | $(med "$app/$h/layers") | $(ratio "$(med "$app/$s/layers")" "$(med "$app/$h/layers")") |"
  echo "| layers changed by the edit | $(med "$app/$s/changed_layers") [$(spread "$app/$s/changed_layers")] | $(med "$app/$h/changed_layers") [$(spread "$app/$h/changed_layers")] | |"
  local sb hb
  sb=$(med "$app/$s/changed_bytes") hb=$(med "$app/$h/changed_bytes")
  echo "| bytes of changed layers (compressed blobs) | $(human "$sb") | $(human "$hb") | $(ratio "$sb" "$hb") |"
  echo "| only the app layer changed (runs) | $(yes_runs "$app/$s/app_only") | $(yes_runs "$app/$h/app_only") | |"
  echo "| files in the changed layers | ${R[$app/$s/changed_files]:-} | ${R[$app/$h/changed_files]:-} | |"
  frontend_row "$app" "frontend time, all builds (log), ms" fe_all
  frontend_row "$app" "frontend time, cold builds, ms" fe_cold
  frontend_row "$app" "frontend time, no-change rebuilds, ms" fe_warm
  frontend_row "$app" "frontend time, edit rebuilds, ms" fe_edit
  frontend_row "$app" "frontend's own time (lifetime − builder build), all builds, ms" own_all
  frontend_row "$app" "frontend's own time, no-change rebuilds, ms" own_warm
  echo
  echo "Frontend time is the frontend process's lifetime from its log line. On cold and edit builds it includes"
  echo "the Go build: the frontend solves the builder stage and checks its output before it returns the image."
  echo "Its own time leaves out the span during which the builder stage was building (BuildKit's work, which"
  echo "the Dockerfile pays too); the rest is reading the spec, resolving, checking and answering."
  local busy disturbed
  busy=$(values "$app/busy") disturbed=$(values "$app/disturbed")
  if [ -n "$busy$disturbed" ]; then
    echo
    echo "Noise: other builds/compiles seen during $(wc -w <<<"$busy") of $((RUNS * 6)) timed builds (${busy:-none});" \
      "log windows with foreign frontend lines: $(wc -w <<<"$disturbed") (${disturbed:-none})."
  fi
}

verdict() { if "$@"; then echo pass; else echo FAIL; fi; }
PASSED=0 TOTAL=0
summary_row() {
  local app=$1 target=$2 measured=$3 result=$4
  TOTAL=$((TOTAL + 1))
  [ "$result" = pass ] && PASSED=$((PASSED + 1))
  echo "| $app | $target | $measured | $result |"
}

# Every run must have changed exactly the app layer, not just the median one.
all_yes() { local v; v=$(values "$1"); [ -n "$v" ] && ! grep -qw no <<<"$v"; }

summary() {
  echo
  echo "### Summary"
  echo
  echo "| app | target | measured | result |"
  echo "|---|---|---:|---|"
  local app c w ss hs fa fw
  for app in "${APPS[@]}"; do
    c=$(ratio "$(med "$app/scratchkit/cold")" "$(med "$app/handwritten/cold")")
    w=$(ratio "$(med "$app/scratchkit/warm")" "$(med "$app/handwritten/warm")")
    ss=$(med "$app/scratchkit/size") hs=$(med "$app/handwritten/size")
    fa=$(med "$app/scratchkit/own_all") fw=$(med "$app/scratchkit/fe_warm")
    summary_row "$app" "cold build ≤ ${MAX_COLD_RATIO}× Dockerfile" "$c" "$(verdict le "${c%x}" "$MAX_COLD_RATIO")"
    summary_row "$app" "no-change rebuild ≤ ${MAX_WARM_RATIO}× Dockerfile" "$w" "$(verdict le "${w%x}" "$MAX_WARM_RATIO")"
    summary_row "$app" "image size ≤ Dockerfile's" "$ss vs $hs bytes" "$(verdict le "$ss" "$hs")"
    summary_row "$app" "a code edit changes only the app layer" "$(yes_runs "$app/scratchkit/app_only") runs" "$(verdict all_yes "$app/scratchkit/app_only")"
    summary_row "$app" "frontend overhead < ${MAX_FRONTEND_MS} ms (median own time, all scratchkit builds)" "$fa ms" "$(verdict lt "$fa" "$MAX_FRONTEND_MS")"
    summary_row "$app" "frontend overhead < ${MAX_FRONTEND_MS} ms (median lifetime, no-change rebuilds)" "$fw ms" "$(verdict lt "$fw" "$MAX_FRONTEND_MS")"
  done
  if [ "$SPEC_TO_LLB_MAX_US" = n/a ]; then
    summary_row "all specs" "spec→LLB < 1 ms" "not run" "n/a"
  else
    summary_row "all specs" "spec→LLB < 1 ms (slowest spec's median)" "$SPEC_TO_LLB_MAX_US µs" "$(verdict lt "$SPEC_TO_LLB_MAX_US" "$MAX_SPEC_TO_LLB_US")"
  fi
  echo
  echo "$PASSED of $TOTAL targets met."
}

# ---------------------------------------------------------------------------------------------------------

frontend_id() { "$DOCKER" image inspect -f '{{.Id}}' "$FRONTEND_IMAGE" | cut -c1-19; }

main() {
  preflight
  local started frontend_at_start frontend_note=""
  started=$(now)
  # Other engineers may rebuild the frontend image while this runs; the numbers then mix two frontends.
  frontend_at_start=$(frontend_id)
  spec_to_llb_bench

  local app run variant order
  for app in "${APPS[@]}"; do
    log "examples/$app: $RUNS runs"
    for run in $(seq 1 "$RUNS"); do
      # Alternate which variant goes first, so that drift (page cache, thermal, other load) hits both alike.
      order=("${VARIANTS[@]}")
      [ $((run % 2)) -eq 1 ] || order=("${VARIANTS[1]}" "${VARIANTS[0]}")
      for variant in "${order[@]}"; do
        measure "$app" "$variant" "$run"
      done
    done
    for variant in "${VARIANTS[@]}"; do
      smoke_run "scratchkit-bench/$app-$variant:edited"
    done
  done

  [ "$(frontend_id)" = "$frontend_at_start" ] || frontend_note=" (REBUILT during the bench, was $frontend_at_start)"
  echo "## scratchkit vs hand-written Dockerfile"
  echo
  echo "$(nproc) cores, Docker $("$DOCKER" version -f '{{.Server.Version}}'), buildx $("$DOCKER" buildx version | awk '{ print $2 }')," \
    "frontend $FRONTEND_IMAGE $(frontend_id)$frontend_note, RUNS=$RUNS," \
    "load average at the end $(cut -d' ' -f1-3 /proc/loadavg), waited ${QUIET_WAITED}s for other builds to finish."
  for app in "${APPS[@]}"; do
    report_app "$app"
  done
  echo
  echo "### spec→LLB (cargo bench --bench spec_to_llb)"
  echo
  cat "$tmp/spec_to_llb.md"
  summary
  echo
  echo "Bench took $(elapsed "$started" "$(now)") s."
}

main

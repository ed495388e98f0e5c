#!/usr/bin/env bash
# Compares scratchkit (examples/APP/scratch.yaml) with the hand-written multi-stage Dockerfile
# (examples/APP/Dockerfile.handwritten): cold build, no-change rebuild, image size, layer count.
# Prints a markdown table of medians over RUNS runs.
# Usage: bench/compare.sh [APP]   (default smallest; RUNS=3)
# Needs the images of scripts/builder-image.sh and scripts/frontend-image.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

APP=${1:-smallest}
RUNS=${RUNS:-3}
DOCKER=${DOCKER:-docker}
dir=examples/$APP
if [ ! -f "$dir/scratch.yaml" ] || [ ! -f "$dir/Dockerfile.handwritten" ]; then
  echo "compare: $dir needs scratch.yaml and Dockerfile.handwritten" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# build VARIANT [extra buildx args...] -> prints seconds
build() {
  local variant=$1 file; shift
  case $variant in
    scratchkit) file=$dir/scratch.yaml ;;
    handwritten) file=$dir/Dockerfile.handwritten ;;
  esac
  local start end
  start=$(date +%s.%N)
  if ! "$DOCKER" buildx build --progress plain --load -t "scratchkit-bench/$APP-$variant" -f "$file" "$@" "$dir" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "compare: building $file failed" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2fx\n", a / b }'; }

declare -A cold warm size layers
variants=(scratchkit handwritten)
# Interleave the variants so that machine noise (page cache, other load) hits both alike.
for i in $(seq 1 "$RUNS"); do
  for variant in "${variants[@]}"; do
    c=$(build "$variant" --no-cache)
    w=$(build "$variant")
    cold[$variant]+="$c " warm[$variant]+="$w "
    echo "compare: run $i $variant: cold ${c}s, no-change ${w}s" >&2
  done
done
for variant in "${variants[@]}"; do
  # shellcheck disable=SC2086 # word splitting of the collected numbers is wanted
  cold[$variant]=$(median ${cold[$variant]})
  # shellcheck disable=SC2086
  warm[$variant]=$(median ${warm[$variant]})
  image=scratchkit-bench/$APP-$variant
  size[$variant]=$("$DOCKER" image inspect -f '{{.Size}}' "$image")
  layers[$variant]=$("$DOCKER" image inspect -f '{{len .RootFS.Layers}}' "$image")
  # The numbers mean nothing if the image does not work.
  "$DOCKER" run --rm --network none --add-host example.com:127.0.0.1 "$image" >"$log" 2>&1 \
    || { cat "$log" >&2; echo "compare: $image does not run green" >&2; exit 1; }
done

s=scratchkit h=handwritten
echo
echo "examples/$APP, median of $RUNS runs, $(nproc) cores, $("$DOCKER" version -f '{{.Server.Version}}')"
echo
echo "| metric | scratch.yaml | Dockerfile.handwritten | ratio |"
echo "|---|---:|---:|---:|"
echo "| cold build (--no-cache), s | ${cold[$s]} | ${cold[$h]} | $(ratio "${cold[$s]}" "${cold[$h]}") |"
echo "| no-change rebuild, s | ${warm[$s]} | ${warm[$h]} | $(ratio "${warm[$s]}" "${warm[$h]}") |"
echo "| image size (docker image inspect .Size), bytes | ${size[$s]} | ${size[$h]} | $(ratio "${size[$s]}" "${size[$h]}") |"
echo "| layers | ${layers[$s]} | ${layers[$h]} | $(ratio "${layers[$s]}" "${layers[$h]}") |"

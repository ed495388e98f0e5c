#!/usr/bin/env bash
# Mutation testing of the modules issue 12 names (plan, lower, verify, llb) with the offline tests:
# does a test notice when the code is broken on purpose?
#
#   scripts/mutants.sh [K/N]      # one shard, e.g. 0/4; without it, every mutant (hours on 2 cores)
#   MUTANTS_JOBS=2 scripts/mutants.sh   # two mutants built and tested at once (each in its own copy of the tree)
#   MUTANTS_ITERATE=1 scripts/mutants.sh  # test again only what the last run in that directory missed (and new mutants)
#   MUTANTS_SHUFFLE=1 scripts/mutants.sh  # random order: a run stopped early is a fair sample
#
# Needs `cargo install cargo-mutants`. Results go to mutants-runs/all/mutants.out/ (or
# mutants-runs/K-of-N/…): caught.txt, missed.txt, timeout.txt, unviable.txt. The end-to-end tests are left out (they need Docker and minutes
# each), and so is never_panics (proptest: minutes per mutant, and it asserts only "no panic").
set -euo pipefail
cd "$(dirname "$0")/.."

shard=()
out=mutants-runs/all
if [[ $# -ge 1 ]]; then
  shard=(--shard "$1")
  out="mutants-runs/${1%/*}-of-${1#*/}"
fi

# No debug info: each mutant is one incremental rebuild, and most of its time is codegen and linking.
mkdir -p "$out"
iterate=()
[[ -n "${MUTANTS_ITERATE:-}" ]] && iterate=(--iterate)
# In random order, so a run stopped early has tested a fair sample of every module.
order=()
[[ -n "${MUTANTS_SHUFFLE:-}" ]] && order=(--shuffle)
export CARGO_PROFILE_DEV_DEBUG=0
# Each mutant relinks every test binary below; mold (Debian's `mold`) links them several times faster than ld.
if command -v mold >/dev/null; then
  export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-fuse-ld=mold"
fi
# module_layers (reads import lines), schema (the spec's key tables) and doc_links cannot see a mutant of
# these modules, and the property tests take minutes a mutant: they are skipped.
exec cargo mutants \
  -f 'src/plan/**' -f 'src/lower/**' -f 'src/verify/**' -f 'src/llb/**' \
  "${shard[@]}" "${iterate[@]}" "${order[@]}" --jobs "${MUTANTS_JOBS:-1}" --timeout 300 --build-timeout 900 --output "$out" \
  -- --lib --test offline -- --skip module_layers:: --skip schema:: --skip doc_links:: --skip never_panics:: \
     --skip init_projects::

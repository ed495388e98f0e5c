#!/usr/bin/env bash
# Fuzzes spec → plan → lower → marshal (fuzz/fuzz_targets/spec_to_llb.rs) with cargo-fuzz and libFuzzer.
# Usage: scripts/fuzz.sh [SECONDS]   (default 30; the build before it takes a few minutes the first time)
#
# Built with debug assertions and overflow checks (an overflow is a finding too).
# Works with stable Rust: cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module), which
# stable rustc accepts under RUSTC_BOOTSTRAP=1. Installs cargo-fuzz from crates.io if it is missing.
# The corpus (fuzz/corpus/spec_to_llb, not committed) is seeded from every spec in the repository and
# from fuzz/regressions (inputs that once crashed it). A crash exits non-zero and leaves its input in
# fuzz/artifacts/spec_to_llb/: fix it, and commit the input under fuzz/regressions.
# Environment: FUZZ_SANITIZER (address, the default, or none), FUZZ_JOBS (parallel fuzzers, default 1),
# CARGO_FUZZ_VERSION (a cargo install version requirement, default ^0.13).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_SECONDS=${1:-30}
SANITIZER=${FUZZ_SANITIZER:-address}
JOBS=${FUZZ_JOBS:-1}
CARGO_FUZZ_VERSION=${CARGO_FUZZ_VERSION:-'^0.13'}
TARGET=spec_to_llb
CORPUS=fuzz/corpus/$TARGET

log() { echo "fuzz: $*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $RUN_SECONDS =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, got '$RUN_SECONDS'"
command -v cargo >/dev/null || die "cargo not found"
# libfuzzer-sys compiles libFuzzer's C++ sources.
if ! command -v c++ >/dev/null; then
  log "installing g++ (libFuzzer is C++)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null || die "cannot install g++"
fi

# `^0.13` → `cargo-fuzz 0.13.`: the version line an installed match prints.
want_prefix="cargo-fuzz $(sed -E 's/^[\^~=]?//; s/\.\*$//' <<<"$CARGO_FUZZ_VERSION")."
if ! cargo fuzz --version 2>/dev/null | grep -qF "$want_prefix"; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi
log "$(cargo fuzz --version)"

mkdir -p "$CORPUS"
seeds=0
for f in tests/fixtures/ok/*.yaml tests/fixtures/bad/*.yaml tests/e2e-fixtures/*.yaml examples/*/scratch.yaml fuzz/regressions/*; do
  [ -f "$f" ] || continue
  cp "$f" "$CORPUS/seed-$(sha1sum "$f" | cut -c1-16)"
  seeds=$((seeds + 1))
done
log "seeded $CORPUS with $seeds files ($(find "$CORPUS" -type f | wc -l) inputs in all)"

export RUSTC_BOOTSTRAP=1
# Its own target dir (the flags differ from a normal build), whatever CARGO_TARGET_DIR says.
# -jobs makes libFuzzer write each job's output to fuzz-<n>.log; one job writes to the terminal.
parallel=()
[ "$JOBS" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")
log "running $TARGET for ${RUN_SECONDS}s (sanitizer: $SANITIZER, jobs: $JOBS)"
cargo fuzz run --debug-assertions --sanitizer "$SANITIZER" --target-dir fuzz/target "$TARGET" "$CORPUS" -- \
  -max_total_time="$RUN_SECONDS" -dict=fuzz/spec.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${parallel[@]}"

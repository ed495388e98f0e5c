#!/usr/bin/env bash
# Fuzzes spec → plan → lower → marshal (fuzz/fuzz_targets/spec_to_llb.rs) and `scratchkit init` on project
# trees (fuzz/fuzz_targets/init_project.rs) with cargo-fuzz and libFuzzer.
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
INIT_TARGET=init_project
INIT_CORPUS=fuzz/corpus/$INIT_TARGET

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

mkdir -p "$CORPUS" "$INIT_CORPUS"
seeds=0
for f in tests/fixtures/ok/*.yaml tests/fixtures/bad/*.yaml tests/e2e-fixtures/*.yaml examples/*/scratch.yaml fuzz/regressions/*; do
  [ -f "$f" ] || continue
  cp "$f" "$CORPUS/seed-$(sha1sum "$f" | cut -c1-16)"
  seeds=$((seeds + 1))
done
log "seeded $CORPUS with $seeds files ($(find "$CORPUS" -type f | wc -l) inputs in all)"
# init_project's input: NUL-separated records of path, SOH, content (fuzz/fuzz_targets/init_project.rs).
printf 'go.mod\001module example.com/svc // x\n\ngo 1.22\n\000main.go\001package main\n' >"$INIT_CORPUS/seed-go"
printf 'go.mod\001module m\n\000lib.go\001package m\n\000cmd/server/\000cmd/a;b\n  network: host/' >"$INIT_CORPUS/seed-go-cmd"
printf 'Cargo.toml\001[package]\nname = "tool" # c\n[[bin]]\nname = "cli"\n' >"$INIT_CORPUS/seed-rust"
printf 'Makefile\001all: hello\nhello: hello.c\n\tcc -o $@ $<\n' >"$INIT_CORPUS/seed-make"
printf 'pyproject.toml\001[project]\nname = "tool"\ndependencies = ["x"]\n[project.scripts]\ntool = "tool.cli:main"\n\000src/tool/\000requirements.txt\001x\n' >"$INIT_CORPUS/seed-python"
printf 'requirements.txt\001# none\n\000main.py\001print(1)\n' >"$INIT_CORPUS/seed-python-script"
printf 'package.json\001{"name": "@org/web", "main": "./lib/server", "bin": {"web": "bin/web.js"}}\000lib/server.js\001\000bin/web.js\001\000node_modules/\n' >"$INIT_CORPUS/seed-node"

export RUSTC_BOOTSTRAP=1
# Its own target dir (the flags differ from a normal build), whatever CARGO_TARGET_DIR says.
# -jobs makes libFuzzer write each job's output to fuzz-<n>.log; one job writes to the terminal.
parallel=()
[ "$JOBS" -gt 1 ] && parallel=(-jobs="$JOBS" -workers="$JOBS")
# One target after the other, each for RUN_SECONDS: a crash in either fails the run.
for target in "$TARGET" "$INIT_TARGET"; do
  corpus=fuzz/corpus/$target
  dict=()
  [ "$target" = "$TARGET" ] && dict=(-dict=fuzz/spec.dict)
  log "running $target for ${RUN_SECONDS}s (sanitizer: $SANITIZER, jobs: $JOBS)"
  cargo fuzz run --debug-assertions --sanitizer "$SANITIZER" --target-dir fuzz/target "$target" "$corpus" -- \
    -max_total_time="$RUN_SECONDS" "${dict[@]}" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${parallel[@]}"
done

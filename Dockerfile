# Release build of the scratchkit frontend image:
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/scratchkit:<tag> --push .
# RUST_IMAGE is any image with rustc, cargo and a C linker with glibc's static libraries (libc6-dev); the
# tests pass one made locally (scripts/rust-builder-image.sh). Offline, put the crates in the context
# (`cargo vendor` and its .cargo/config.toml): tests/e2e_frontend_release.rs builds this file that way.
ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# A static glibc binary for the builder's own platform: the frontend image has nothing but this file. An
# explicit --target keeps the static flag away from build scripts and proc macros; the caches make a rebuild
# on the same engine incremental.
RUN --mount=type=cache,target=/src/target --mount=type=cache,target=/usr/local/cargo/registry \
    target="$(rustc -vV | sed -n 's/^host: //p')" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" --bin scratchkit \
 && cp "target/$target/release/scratchkit" /scratchkit

FROM scratch
COPY --from=build /scratchkit /scratchkit
# BuildKit runs the frontend without a network, and these caps let buildx use --build-context and --call.
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/scratchkit"]

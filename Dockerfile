# Release build of the scratchkit frontend image, for machines that can pull from a registry:
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/scratchkit:<tag> .
# (The tests build the same image without a registry: scripts/frontend-image.sh.)
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# A static glibc binary: the frontend image has nothing but this file.
RUN target="$(uname -m)-unknown-linux-gnu" \
 && rustup target add "$target" \
 && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" --bin scratchkit \
 && cp "target/$target/release/scratchkit" /scratchkit

FROM scratch
COPY --from=build /scratchkit /scratchkit
# BuildKit runs the frontend without a network, and these caps let buildx use --build-context and --call.
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/scratchkit"]

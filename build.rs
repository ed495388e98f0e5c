// Compiles proto/ (our subset of BuildKit's wire API) with protox, so no protoc is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["gateway.proto", "ops.proto"];
    for f in std::fs::read_dir("proto")? {
        println!("cargo:rerun-if-changed={}", f?.path().display());
    }
    let fds = protox::compile(files, ["proto"])?;
    // The descriptor set lets tests decode our bytes with an independent protobuf implementation.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    let mut config = prost_build::Config::new();
    // Sorted map encoding keeps marshalled Definitions byte-for-byte deterministic.
    config.btree_map(["."]);
    tonic_prost_build::configure().build_server(false).compile_fds_with_config(fds, config)?;
    Ok(())
}

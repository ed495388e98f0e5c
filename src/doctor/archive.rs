//! The images in a `docker save` archive or an OCI image layout (a directory, or the tar archive
//! `--output type=oci` writes): each manifest, per platform of a multi-platform index, with its config and
//! its layers in order. Nothing is run and nothing is fetched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layers::{Limits, MemFs};

/// The files of the input: a directory on disk, or a tar archive read into memory.
enum Store {
    Dir(PathBuf),
    Tar(BTreeMap<String, Vec<u8>>),
}

/// An index nested deeper than this is refused (a real one is one or two levels).
const MAX_DEPTH: usize = 4;
/// A manifest, index or config larger than this is not JSON a tool wrote.
const MAX_JSON: u64 = 16 << 20;

impl Store {
    fn open(path: &Path, limits: &Limits) -> Result<Store, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            return Ok(Store::Dir(path.to_path_buf()));
        }
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut archive = tar::Archive::new(std::io::BufReader::new(file));
        let mut files = BTreeMap::new();
        let mut bytes = 0u64;
        let not_tar = |e: std::io::Error| format!("`{}` is neither a directory nor a tar archive: {e}", path.display());
        for entry in archive.entries().map_err(not_tar)? {
            let mut entry = entry.map_err(not_tar)?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let name = entry.path().map_err(not_tar)?.to_string_lossy().trim_start_matches("./").to_string();
            bytes += entry.size();
            if bytes > limits.bytes {
                return Err(format!("`{}` holds more than {} MiB: doctor reads at most that", path.display(), limits.bytes >> 20));
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(not_tar)?;
            files.insert(name, data);
        }
        Ok(Store::Tar(files))
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(d) => d.join(name).is_file(),
            Store::Tar(files) => files.contains_key(name),
        }
    }

    /// The file `name` (relative, checked to stay inside the input).
    fn read(&self, name: &str, max: u64) -> Result<Vec<u8>, String> {
        if name.starts_with('/') || name.split('/').any(|c| c == "..") {
            return Err(format!("`{name}` points outside the image archive"));
        }
        let data = match self {
            Store::Dir(d) => {
                let file = std::fs::File::open(d.join(name)).map_err(|e| format!("cannot read `{name}` in the image layout: {e}"))?;
                let mut data = Vec::new();
                file.take(max + 1).read_to_end(&mut data).map_err(|e| format!("cannot read `{name}` in the image layout: {e}"))?;
                data
            }
            Store::Tar(files) => files.get(name).cloned().ok_or_else(|| format!("the archive has no `{name}`"))?,
        };
        if data.len() as u64 > max {
            return Err(format!("`{name}` is larger than {} MiB: doctor reads at most that", max >> 20));
        }
        Ok(data)
    }

    fn json(&self, name: &str) -> Result<Value, String> {
        serde_json::from_slice(&self.read(name, MAX_JSON)?).map_err(|e| format!("`{name}` is not valid JSON: {e}"))
    }
}

/// `sha256:<hex>` → `blobs/sha256/<hex>`, for a digest of the form OCI allows.
fn blob(digest: &str) -> Result<String, String> {
    let (algorithm, hex) = digest.split_once(':').ok_or_else(|| format!("`{digest}` is not a digest"))?;
    let ok = !algorithm.is_empty()
        && algorithm.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
        && !hex.is_empty()
        && hex.chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err(format!("`{digest}` is not a digest"));
    }
    Ok(format!("blobs/{algorithm}/{hex}"))
}

/// One image of the input: what `docker inspect` would show of it and where its layers are.
pub struct Image {
    /// How the report names it: the tag or the manifest digest.
    pub name: String,
    /// `os/architecture[/variant]` from the config.
    pub platform: String,
    /// The config's `config` object (Entrypoint, Cmd, User, Env, …).
    pub config: Value,
    layers: Vec<String>,
}

/// The images in the input, one per platform of each manifest.
pub struct Input {
    store: Store,
    pub images: Vec<Image>,
}

impl Input {
    pub fn open(path: &Path, limits: &Limits) -> Result<Input, String> {
        let store = Store::open(path, limits)?;
        let mut images = Vec::new();
        if store.has("index.json") {
            let index = store.json("index.json")?;
            let mut seen = BTreeSet::new();
            walk_index(&store, &index, None, 0, &mut seen, &mut images)?;
        } else if store.has("manifest.json") {
            docker_save(&store, &mut images)?;
        } else {
            return Err(format!("`{}` has neither `index.json` (an OCI layout) nor `manifest.json` (a `docker save` archive)", path.display()));
        }
        if images.is_empty() {
            return Err(format!("`{}` holds no image", path.display()));
        }
        Ok(Input { store, images })
    }

    /// The root filesystem of `image`: its layers applied in order.
    pub fn rootfs(&self, image: &Image, limits: Limits) -> Result<MemFs, String> {
        let mut fs = MemFs::new(limits);
        for (i, layer) in image.layers.iter().enumerate() {
            let data = self.store.read(layer, limits.bytes)?;
            let at = |e: String| format!("layer {} (`{layer}`) of {}: {e}", i + 1, image.name);
            match data.get(..4) {
                Some([0x1f, 0x8b, ..]) => fs.apply(flate2::read::GzDecoder::new(data.as_slice())).map_err(at)?,
                Some([0x28, 0xb5, 0x2f, 0xfd]) => {
                    return Err(at(
                        "it is zstd-compressed, which doctor does not read: export the image with gzip layers (`--output type=oci,compression=gzip,dest=…`)"
                            .into(),
                    ))
                }
                _ => fs.apply(data.as_slice()).map_err(at)?,
            }
        }
        Ok(fs)
    }
}

fn platform_of(config: &Value) -> String {
    let field = |k: &str| config.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut platform = format!("{}/{}", field("os"), field("architecture"));
    if !field("variant").is_empty() {
        platform = format!("{platform}/{}", field("variant"));
    }
    platform
}

fn image(store: &Store, name: String, config_path: &str, layers: Vec<String>) -> Result<Image, String> {
    let config = store.json(config_path)?;
    Ok(Image { name, platform: platform_of(&config), config: config.get("config").cloned().unwrap_or(Value::Null), layers })
}

/// The images an OCI index names, nested indexes followed; attestation manifests are not images.
fn walk_index(store: &Store, index: &Value, name: Option<&str>, depth: usize, seen: &mut BTreeSet<String>, out: &mut Vec<Image>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("image indexes are nested more than {MAX_DEPTH} deep"));
    }
    let manifests = index.get("manifests").and_then(Value::as_array).ok_or("an image index without `manifests`")?;
    for m in manifests {
        let digest = m.get("digest").and_then(Value::as_str).ok_or("a manifest descriptor without `digest`")?;
        let annotations = m.get("annotations");
        let note = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
        if note("vnd.docker.reference.type") == Some("attestation-manifest") || m.pointer("/platform/os").and_then(Value::as_str) == Some("unknown") {
            continue;
        }
        if !seen.insert(digest.to_string()) {
            continue;
        }
        let name = note("io.containerd.image.name").or(note("org.opencontainers.image.ref.name")).or(name).map(str::to_string);
        let doc = store.json(&blob(digest)?)?;
        if doc.get("manifests").is_some() {
            walk_index(store, &doc, name.as_deref(), depth + 1, seen, out)?;
            continue;
        }
        let config = doc.pointer("/config/digest").and_then(Value::as_str).ok_or_else(|| format!("manifest {digest} has no config"))?;
        let layers = doc
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("manifest {digest} has no `layers`"))?
            .iter()
            .map(|l| l.get("digest").and_then(Value::as_str).ok_or_else(|| format!("a layer of manifest {digest} has no digest")).and_then(blob))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(image(store, name.unwrap_or_else(|| digest.to_string()), &blob(config)?, layers)?);
    }
    Ok(())
}

/// `docker save`'s own `manifest.json` (older engines write no `index.json`).
fn docker_save(store: &Store, out: &mut Vec<Image>) -> Result<(), String> {
    let manifest = store.json("manifest.json")?;
    for m in manifest.as_array().ok_or("`manifest.json` is not a list")? {
        let config = m.get("Config").and_then(Value::as_str).ok_or("`manifest.json` names no `Config`")?;
        let name = m.pointer("/RepoTags/0").and_then(Value::as_str).unwrap_or(config).to_string();
        let layers = m
            .get("Layers")
            .and_then(Value::as_array)
            .ok_or("`manifest.json` names no `Layers`")?
            .iter()
            .map(|l| l.as_str().map(str::to_string).ok_or_else(|| "a layer in `manifest.json` is not a path".to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(image(store, name, config, layers)?);
    }
    Ok(())
}

//! The images in a `docker save` archive or an OCI image layout (a directory, or the tar archive
//! `--output type=oci` writes): each manifest, per platform of a multi-platform index, with its config and
//! its layers in order. Nothing is run and nothing is fetched.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layers::{Limits, MemFs};
use super::registry::{Remote, MAX_LAYER};

/// The files of the input: a directory on disk, or a tar archive indexed by name (data offset and size),
/// read from the file when needed rather than held in memory.
enum Store {
    Dir(PathBuf),
    Tar(PathBuf, BTreeMap<String, (u64, u64)>),
    /// An image in a registry: manifests and blobs by digest, each checked against it.
    Remote(Box<Remote>),
}

/// An index nested deeper than this is refused (a real one is one or two levels).
const MAX_DEPTH: usize = 4;
/// A manifest, index or config larger than this is not JSON a tool wrote.
const MAX_JSON: u64 = 16 << 20;
/// Files in an archive: a `docker save` of a large image has a few hundred.
const MAX_FILES: usize = 100_000;

impl Store {
    fn open(path: &Path) -> Result<Store, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            return Ok(Store::Dir(path.to_path_buf()));
        }
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut archive = tar::Archive::new(std::io::BufReader::new(file));
        let mut files = BTreeMap::new();
        let not_tar = |e: std::io::Error| format!("`{}` is neither a directory nor a tar archive: {e}", path.display());
        for entry in archive.entries().map_err(not_tar)? {
            let entry = entry.map_err(not_tar)?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            if files.len() >= MAX_FILES {
                return Err(format!("`{}` has more than {MAX_FILES} files: doctor reads at most that", path.display()));
            }
            let name = entry.path().map_err(not_tar)?.to_string_lossy().trim_start_matches("./").to_string();
            files.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(Store::Tar(path.to_path_buf(), files))
    }

    fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(d) => d.join(name).is_file(),
            Store::Tar(_, files) => files.contains_key(name),
            Store::Remote(_) => name == "index.json",
        }
    }

    /// The file `name` (relative, checked to stay inside the input) as a stream, and its size.
    fn open_file(&self, name: &str) -> Result<(Box<dyn Read>, u64), String> {
        if name.starts_with('/') || name.split('/').any(|c| c == "..") {
            return Err(format!("`{name}` points outside the image archive"));
        }
        match self {
            Store::Dir(d) => {
                let file = std::fs::File::open(d.join(name))
                    .map_err(|e| format!("cannot read `{name}` in the image layout: {e}"))?;
                let size = file.metadata().map_err(|e| format!("cannot read `{name}` in the image layout: {e}"))?.len();
                Ok((Box::new(std::io::BufReader::new(file)), size))
            }
            Store::Tar(path, files) => {
                let &(offset, size) = files.get(name).ok_or_else(|| format!("the archive has no `{name}`"))?;
                let mut file =
                    std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))
                    .map_err(|e| format!("cannot read `{name}` in the archive: {e}"))?;
                Ok((Box::new(std::io::BufReader::new(file.take(size))), size))
            }
            Store::Remote(remote) => remote.blob(&digest_of(name)?, MAX_LAYER),
        }
    }

    fn json(&self, name: &str) -> Result<Value, String> {
        let (file, size) = match self {
            Store::Remote(remote) if name == "index.json" => return remote.index(),
            Store::Remote(remote) => remote.blob(&digest_of(name)?, MAX_JSON)?,
            _ => self.open_file(name)?,
        };
        if size > MAX_JSON {
            return Err(format!("`{name}` is larger than {} MiB: doctor reads at most that", MAX_JSON >> 20));
        }
        let mut data = Vec::new();
        file.take(MAX_JSON).read_to_end(&mut data).map_err(|e| format!("cannot read `{name}`: {e}"))?;
        serde_json::from_slice(&data).map_err(|e| format!("`{name}` is not valid JSON: {e}"))
    }

    /// A manifest an index names: a blob of a layout, or asked for as a manifest of a registry.
    fn manifest(&self, digest: &str) -> Result<Value, String> {
        match self {
            Store::Remote(remote) => remote.manifest(digest),
            _ => self.json(&blob(digest)?),
        }
    }
}

/// `blobs/sha256/<hex>` → `sha256:<hex>`: the blob a registry is asked for.
fn digest_of(name: &str) -> Result<String, String> {
    match name.strip_prefix("blobs/").and_then(|d| d.split_once('/')) {
        Some((algorithm, hex)) => Ok(format!("{algorithm}:{hex}")),
        None => Err(format!("a registry image has no `{name}`: only blobs by digest")),
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
    pub fn open(path: &Path) -> Result<Input, String> {
        Input::read(Store::open(path)?, &path.display().to_string())
    }

    /// The image `reference` in a registry: over plain HTTP for a loopback registry or with `plain_http`.
    pub fn pull(reference: &str, plain_http: bool) -> Result<Input, String> {
        Input::read(Store::Remote(Box::new(Remote::new(reference, plain_http)?)), reference)
    }

    fn read(store: Store, label: &str) -> Result<Input, String> {
        let mut images = Vec::new();
        if store.has("index.json") {
            let index = store.json("index.json")?;
            let mut seen = BTreeSet::new();
            walk_index(&store, &index, None, 0, &mut seen, &mut images)?;
        } else if store.has("manifest.json") {
            docker_save(&store, &mut images)?;
        } else {
            return Err(format!(
                "`{label}` has neither `index.json` (an OCI layout) nor `manifest.json` (a `docker save` archive)"
            ));
        }
        if images.is_empty() {
            return Err(format!("`{label}` holds no image"));
        }
        Ok(Input { store, images })
    }

    /// The root filesystem of `image`: its layers applied in order.
    pub fn rootfs(&self, image: &Image, limits: Limits) -> Result<MemFs, String> {
        // The program's name, wherever `PATH` or a symlink puts it: a script's `#!` line is read.
        let program = ["Entrypoint", "Cmd"]
            .iter()
            .find_map(|k| image.config.get(*k)?.as_array()?.first()?.as_str().map(str::to_string));
        let mut fs = MemFs::new(limits).keeping(program.and_then(|p| p.rsplit('/').next().map(str::to_string)));
        for (i, layer) in image.layers.iter().enumerate() {
            let at = |e: String| format!("layer {} (`{layer}`) of {}: {e}", i + 1, image.name);
            let (file, _) = self.store.open_file(layer)?;
            // The compression is told by the first bytes, as containerd does, not by the media type.
            let mut file = std::io::BufReader::new(file);
            let magic = std::io::BufRead::fill_buf(&mut file)
                .map_err(|e| at(e.to_string()))?
                .get(..4)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            match magic.as_slice() {
                [0x1f, 0x8b, ..] => fs.apply(flate2::read::GzDecoder::new(file)).map_err(at)?,
                [0x28, 0xb5, 0x2f, 0xfd] => {
                    return Err(at(
                        "it is zstd-compressed, which doctor does not read: export the image with gzip layers (`--output type=oci,compression=gzip,dest=…`)"
                            .into(),
                    ))
                }
                _ => fs.apply(file).map_err(at)?,
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
    Ok(Image {
        name,
        platform: platform_of(&config),
        config: config.get("config").cloned().unwrap_or(Value::Null),
        layers,
    })
}

/// The images an OCI index names, nested indexes followed; attestation manifests are not images.
fn walk_index(
    store: &Store,
    index: &Value,
    name: Option<&str>,
    depth: usize,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<Image>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("image indexes are nested more than {MAX_DEPTH} deep"));
    }
    let manifests = index.get("manifests").and_then(Value::as_array).ok_or("an image index without `manifests`")?;
    for m in manifests {
        let digest = m.get("digest").and_then(Value::as_str).ok_or("a manifest descriptor without `digest`")?;
        let annotations = m.get("annotations");
        let note = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
        if note("vnd.docker.reference.type") == Some("attestation-manifest")
            || m.pointer("/platform/os").and_then(Value::as_str) == Some("unknown")
        {
            continue;
        }
        if !seen.insert(digest.to_string()) {
            continue;
        }
        let name =
            note("io.containerd.image.name").or(note("org.opencontainers.image.ref.name")).or(name).map(str::to_string);
        let doc = store.manifest(digest)?;
        if doc.get("manifests").is_some() {
            walk_index(store, &doc, name.as_deref(), depth + 1, seen, out)?;
            continue;
        }
        let config = doc
            .pointer("/config/digest")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("manifest {digest} has no config"))?;
        let layers = doc
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("manifest {digest} has no `layers`"))?
            .iter()
            .map(|l| {
                l.get("digest")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("a layer of manifest {digest} has no digest"))
                    .and_then(blob)
            })
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
            .map(|l| {
                l.as_str().map(str::to_string).ok_or_else(|| "a layer in `manifest.json` is not a path".to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(image(store, name, config, layers)?);
    }
    Ok(())
}

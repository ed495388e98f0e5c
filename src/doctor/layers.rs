//! An image's root filesystem in memory: its layers applied in order, as overlayfs stacks them. A layer
//! deletes with whiteouts (`dir/.wh.name` removes `dir/name`, `dir/.wh..wh..opq` empties `dir` of what
//! lower layers put there) and then adds its entries. The result is read through [`ImageFs`], the trait
//! the final-image check of a build reads BuildKit's image through.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::Arc;

use crate::verify::image::{Entry, ImageFs, Kind};

/// How much of an image is held in memory: a limit that is hit is an error, never a silent drop.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of file contents held at once, over all layers (only the files the checks read are held).
    pub bytes: u64,
    /// Entries (files, directories, links) in the filesystem or in one layer.
    pub entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // FROM-scratch images are tens of MiB; this leaves room for a distroless or slim base.
        Limits { bytes: 2 << 30, entries: 1_000_000 }
    }
}

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

#[derive(Clone, Debug)]
struct Node {
    entry: Entry,
    data: Arc<Vec<u8>>,
}

/// One entry of a layer before it is applied.
enum Change {
    Opaque(String),
    Whiteout(String),
    Add(String, Node),
    /// A hard link to another path (of this layer or a lower one).
    Link(String, String),
}

#[derive(Debug, Default)]
pub struct MemFs {
    nodes: BTreeMap<String, Node>,
    bytes: u64,
    limits: Limits,
    /// File names whose contents are kept wherever they are (the program's, looked up later).
    names: BTreeSet<String>,
}

/// `./usr/bin/` → `/usr/bin`; `None` for a path that climbs out with `..` (no layer tool writes one).
fn normal(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => parts.push(c),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

fn child(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn dir_node() -> Node {
    Node { entry: Entry { kind: Kind::Dir, mode: 0o755, uid: 0, gid: 0, size: 0 }, data: Arc::default() }
}

impl MemFs {
    pub fn new(limits: Limits) -> Self {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_string(), dir_node());
        MemFs { nodes, bytes: 0, limits, names: BTreeSet::new() }
    }

    /// Keeps the contents of files with these names too (the program the config starts).
    pub fn keeping(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.names.extend(names);
        self
    }

    /// Whose contents the checks read, so are kept: executables and libraries (ELF headers), `/etc`
    /// (users, groups, the loader's configuration) and the program; the rest is only listed.
    fn kept(&self, path: &str, mode: u32) -> bool {
        let name = path.rsplit('/').next().unwrap_or_default();
        mode & 0o111 != 0
            || name.ends_with(".so")
            || name.contains(".so.")
            || path.starts_with("/etc/")
            || self.names.contains(name)
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// Removes `path` and everything below it (`keep_self`: only what is below).
    fn remove_tree(&mut self, path: &str, keep_self: bool) {
        let prefix = child(path, "");
        let doomed: Vec<String> = self
            .nodes
            .range(path.to_string()..)
            .take_while(|(p, _)| p.as_str() == path || p.starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            if keep_self && p == path {
                continue;
            }
            if let Some(n) = self.nodes.remove(&p) {
                self.bytes -= n.data.len() as u64;
            }
        }
    }

    fn insert(&mut self, path: String, node: Node) -> Result<(), String> {
        // The parents a layer leaves implicit exist as plain directories; a non-directory there is replaced.
        let (dir, _) = split(&path);
        if path != "/" && !self.nodes.get(dir).is_some_and(|n| n.entry.kind == Kind::Dir) {
            self.remove_tree(dir, false);
            self.insert(dir.to_string(), dir_node())?;
        }
        match self.nodes.get(&path) {
            // A directory over a directory changes its metadata and keeps what is in it.
            Some(old) if old.entry.kind == Kind::Dir && node.entry.kind == Kind::Dir => {}
            Some(_) => self.remove_tree(&path, false),
            None => {}
        }
        let limits = self.limits();
        self.bytes += node.data.len() as u64;
        self.nodes.insert(path.clone(), node);
        if self.bytes > limits.bytes {
            return Err(format!(
                "the image holds more than {} MiB of files (at `{path}`): doctor reads at most that",
                limits.bytes >> 20
            ));
        }
        if self.nodes.len() > limits.entries {
            return Err(format!(
                "the image has more than {} entries (at `{path}`): doctor reads at most that",
                limits.entries
            ));
        }
        Ok(())
    }

    /// Applies one uncompressed layer tar on top of what is there.
    pub fn apply(&mut self, layer: impl Read) -> Result<(), String> {
        let changes = self.read_layer(layer)?;
        // A layer's whiteouts hide what the layers below it put there, never its own entries.
        for change in &changes {
            match change {
                Change::Opaque(dir) => self.remove_tree(dir, true),
                Change::Whiteout(path) => self.remove_tree(path, false),
                _ => {}
            }
        }
        for change in changes {
            match change {
                Change::Add(path, node) => self.insert(path, node)?,
                Change::Link(path, target) => {
                    let node =
                        self.nodes.get(&target).cloned().ok_or_else(|| {
                            format!("hard link `{path}` → `{target}`: the target is not in the image")
                        })?;
                    self.insert(path, node)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A layer's entries as changes, in the tar's order, with the contents the checks read.
    fn read_layer(&self, layer: impl Read) -> Result<Vec<Change>, String> {
        let limits = self.limits();
        let mut archive = tar::Archive::new(layer);
        let mut changes = Vec::new();
        let mut bytes = 0u64;
        for entry in archive.entries().map_err(|e| format!("not a tar archive: {e}"))? {
            let mut entry = entry.map_err(|e| format!("a damaged tar entry: {e}"))?;
            let raw = entry
                .path()
                .map_err(|e| format!("a tar entry with an unreadable name: {e}"))?
                .to_string_lossy()
                .into_owned();
            let path = normal(&raw).ok_or_else(|| format!("tar entry `{raw}` climbs out of the root with `..`"))?;
            if changes.len() >= limits.entries {
                return Err(format!("a layer has more than {} entries: doctor reads at most that", limits.entries));
            }
            let (dir, name) = split(&path);
            if name == OPAQUE {
                changes.push(Change::Opaque(dir.to_string()));
                continue;
            }
            if let Some(hidden) = name.strip_prefix(WHITEOUT) {
                changes.push(Change::Whiteout(child(dir, hidden)));
                continue;
            }
            changes.push(self.read_entry(&mut entry, path, &mut bytes)?);
        }
        Ok(changes)
    }

    /// An entry that adds a node (or a hard link); `bytes` counts the layer's contents kept so far.
    fn read_entry<R: Read>(
        &self,
        entry: &mut tar::Entry<'_, R>,
        path: String,
        bytes: &mut u64,
    ) -> Result<Change, String> {
        let limits = self.limits();
        let header = entry.header();
        let (mode, uid, gid) = (
            header.mode().map_err(|e| format!("`{path}`: {e}"))? & 0o7777,
            header.uid().map_err(|e| format!("`{path}`: {e}"))? as u32,
            header.gid().map_err(|e| format!("`{path}`: {e}"))? as u32,
        );
        let link = || entry.link_name().ok().flatten().map(|l| l.to_string_lossy().into_owned()).unwrap_or_default();
        let kind = match header.entry_type() {
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink(link()),
            tar::EntryType::Link => {
                let target = link();
                let target =
                    normal(&target).ok_or_else(|| format!("hard link `{path}` → `{target}` climbs out of the root"))?;
                return Ok(Change::Link(path, target));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => Kind::File,
            // PAX and GNU long-name headers are read by `tar` itself; anything else is a device or a fifo.
            _ => Kind::Other,
        };
        let mut data = Vec::new();
        let size = entry.size();
        if kind == Kind::File && self.kept(&path, mode) {
            *bytes += size;
            if self.bytes + *bytes > limits.bytes {
                return Err(format!(
                    "the image holds more than {} MiB of files (at `{path}`): doctor reads at most that",
                    limits.bytes >> 20
                ));
            }
            entry.read_to_end(&mut data).map_err(|e| format!("reading `{path}` from a layer: {e}"))?;
        }
        let size = if kind == Kind::File { size } else { 0 };
        Ok(Change::Add(path, Node { entry: Entry { kind, mode, uid, gid, size }, data: Arc::new(data) }))
    }
}

impl ImageFs for MemFs {
    async fn list(&self, dir: &str) -> Result<Vec<(String, Entry)>, String> {
        let prefix = child(dir, "");
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, n)| {
                let name = &p[prefix.len()..];
                (!name.is_empty() && !name.contains('/')).then(|| (name.to_string(), n.entry.clone()))
            })
            .collect())
    }

    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let node = self.nodes.get(path).ok_or_else(|| format!("`{path}` is not in the image"))?;
        if node.entry.kind != Kind::File {
            return Err(format!("`{path}` is not a regular file"));
        }
        if node.data.len() as u64 != node.entry.size {
            return Err(format!("`{path}`: doctor keeps only the files it checks"));
        }
        let data = node.data.as_slice();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
        let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX)).min(data.len());
        Ok(data[start..end].to_vec())
    }
}

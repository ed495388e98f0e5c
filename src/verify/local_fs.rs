//! A directory of this machine as the checks' filesystems ([`Filesystem`], [`ImageFs`]): how the checks
//! read the builder's output and the image when they run inside BuildKit with those mounted read-only
//! (`scratchkit analyze`, docs/dev/analysis-exec.md).
//!
//! The directory is the root of what is read: every path is resolved one component at a time with
//! `lstat`, an absolute symlink against this root, `..` never above it, so no read leaves the mount, as the
//! gateway's reads never leave their ref. Only regular files are opened (a FIFO would block the read).

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::image::ImageFs;
use super::{Entry, FileStat, Filesystem, Kind};

/// Symlinks followed in one lookup before giving up, as Linux's `ELOOP`.
const MAX_LINKS: usize = 40;

pub struct LocalFs {
    root: PathBuf,
}

impl LocalFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalFs { root: root.into() }
    }

    /// Where `path` (absolute inside the root) is on this machine, with its symlinks followed inside the
    /// root; the last component's too when `follow_last`.
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<PathBuf, String> {
        let mut done: Vec<String> = Vec::new();
        let mut todo: VecDeque<String> = components(path);
        let mut links = 0;
        while let Some(name) = todo.pop_front() {
            match name.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let here = self.host(&done).join(&name);
            let meta = std::fs::symlink_metadata(&here).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
            if meta.file_type().is_symlink() && (follow_last || !todo.is_empty()) {
                links += 1;
                if links > MAX_LINKS {
                    return Err(format!("`{path}`: too many levels of symbolic links"));
                }
                let target = std::fs::read_link(&here).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
                let target = target.to_string_lossy();
                if target.starts_with('/') {
                    done.clear();
                }
                for (i, c) in components(&target).into_iter().enumerate() {
                    todo.insert(i, c);
                }
                continue;
            }
            if !todo.is_empty() && !meta.is_dir() {
                return Err(format!("`{path}`: not a directory"));
            }
            done.push(name);
        }
        Ok(self.host(&done))
    }

    fn host(&self, components: &[String]) -> PathBuf {
        components.iter().fold(self.root.clone(), |p, c| p.join(c))
    }

    /// Up to `length` bytes at `offset` of the regular file at `path`.
    fn read_file(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let host = self.resolve(path, true)?;
        if !std::fs::symlink_metadata(&host).map_err(|e| format!("`{path}`: {}", reason(&e)))?.is_file() {
            return Err(format!("`{path}`: not a regular file"));
        }
        let mut file = std::fs::File::open(&host).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
        file.seek(SeekFrom::Start(offset)).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
        let mut out = Vec::new();
        file.take(length).read_to_end(&mut out).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
        Ok(out)
    }

    /// The entries of the directory at `path`, each with its `lstat`.
    fn entries(&self, path: &str) -> Result<Vec<(String, PathBuf, std::fs::Metadata)>, String> {
        let host = self.resolve(path, true)?;
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&host).map_err(|e| format!("`{path}`: {}", reason(&e)))? {
            let entry = entry.map_err(|e| format!("`{path}`: {}", reason(&e)))?;
            let meta = std::fs::symlink_metadata(entry.path()).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
            out.push((entry.file_name().to_string_lossy().into_owned(), entry.path(), meta));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// The components of `path`, in order (empty ones dropped).
fn components(path: &str) -> VecDeque<String> {
    path.split('/').filter(|c| !c.is_empty()).map(str::to_string).collect()
}

/// An I/O error as the gateway words it, without the host path.
fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => e.to_string(),
    }
}

fn link_target(path: &Path) -> String {
    std::fs::read_link(path).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Directory entries as `lstat` sees them, for both traits.
fn listing(entries: &[(String, std::path::PathBuf, std::fs::Metadata)]) -> Result<Vec<(String, Entry)>, String> {
    Ok(entries
        .iter()
        .map(|(name, host, meta)| {
            let t = meta.file_type();
            let kind = if t.is_symlink() {
                Kind::Symlink(link_target(host))
            } else if t.is_dir() {
                Kind::Dir
            } else if t.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            (
                name.clone(),
                Entry { kind, mode: meta.mode() & 0o7777, uid: meta.uid(), gid: meta.gid(), size: meta.len() },
            )
        })
        .collect())
}

impl Filesystem for LocalFs {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        let host = self.resolve(path, true)?;
        let meta = std::fs::symlink_metadata(host).map_err(|e| format!("`{path}`: {}", reason(&e)))?;
        Ok(FileStat { is_dir: meta.is_dir(), mode: meta.mode() & 0o777, size: meta.len() })
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.read_file(path, offset, length)
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        Ok(self.entries(path)?.into_iter().map(|(name, _, _)| name).collect())
    }
    async fn list(&self, path: &str) -> Result<Vec<(String, Entry)>, String> {
        listing(&self.entries(path)?)
    }
}

impl ImageFs for LocalFs {
    async fn list(&self, dir: &str) -> Result<Vec<(String, Entry)>, String> {
        listing(&self.entries(dir)?)
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.read_file(path, offset, length)
    }
}

#[cfg(test)]
mod tests;

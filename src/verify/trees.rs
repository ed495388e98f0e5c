//! The files inside copied directories, as the image will have them: each directory is listed (a few
//! requests in flight at a time), each regular file large enough to be ELF is opened for its first four
//! bytes only, and the ELF ones are read like a copied binary. Symlinks are not followed (the copy keeps
//! them as links); they are returned for the caller to check where they lead.

use futures_util::stream::{self, StreamExt};

use super::elf::{self, ElfInfo, MAGIC};
use super::{Filesystem, Kind};

/// Requests in flight at once while walking one tree.
const CONCURRENT: usize = 32;

/// The smallest ELF file: a 32-bit ELF header is 52 bytes.
const MIN_ELF: u64 = 52;

/// One file of a copied tree: where the builder has it, where the image will.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub builder: String,
    pub image: String,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walked {
    pub elf: Vec<(Placed, ElfInfo)>,
    /// Symlinks, with their targets as written.
    pub links: Vec<(Placed, String)>,
    /// Files that start like ELF (or cannot be opened) and cannot be read, with why.
    pub unreadable: Vec<(String, String)>,
}

fn join(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// Walks the builder's directory `from`, which the image has at `to`.
pub async fn walk<F: Filesystem>(fs: &F, from: &str, to: &str) -> Result<Walked, String> {
    let mut out = Walked::default();
    let mut files: Vec<Placed> = Vec::new();
    let mut level = vec![Placed { builder: from.to_string(), image: to.to_string() }];
    while !level.is_empty() {
        let listed: Vec<_> = stream::iter(level.iter().map(|dir| fs.list(&dir.builder))).buffered(CONCURRENT).collect().await;
        let mut next = Vec::new();
        for (dir, entries) in level.iter().zip(listed) {
            let mut entries = entries.map_err(|e| format!("cannot list `{}`: {e}", dir.builder))?;
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            for entry in entries {
                let placed = Placed { builder: join(&dir.builder, &entry.name), image: join(&dir.image, &entry.name) };
                match entry.kind {
                    Kind::Dir => next.push(placed),
                    Kind::File if entry.size >= MIN_ELF => files.push(placed),
                    Kind::Symlink(target) => out.links.push((placed, target)),
                    Kind::File | Kind::Other => {}
                }
            }
        }
        level = next;
    }
    let heads: Vec<_> = stream::iter(files.iter().map(|f| fs.read_at(&f.builder, 0, MAGIC.len() as u64))).buffered(CONCURRENT).collect().await;
    let mut elf_files = Vec::new();
    for (file, head) in files.into_iter().zip(heads) {
        match head {
            Ok(head) if head.as_slice() == MAGIC => elf_files.push(file),
            Ok(_) => {}
            Err(e) => out.unreadable.push((file.builder, e)),
        }
    }
    let infos: Vec<_> = stream::iter(elf_files.iter().map(|f| elf::inspect(fs, &f.builder))).buffered(CONCURRENT).collect().await;
    for (file, info) in elf_files.into_iter().zip(infos) {
        match info {
            Ok(Some(info)) => out.elf.push((file, info)),
            Ok(None) => {}
            Err(e) => out.unreadable.push((file.builder, e)),
        }
    }
    Ok(out)
}

//! The solved image as a [`verify::image::ImageFs`]: a listing is one `ReadDir` (its entries carry
//! `lstat` metadata: type, mode with special bits, owner, link target), a read one `ReadFile` range.

use crate::gateway::{FileStat, Gateway};
use crate::verify::image::{Entry, ImageFs, Kind};

pub struct ImageRef<'g, G> {
    gateway: &'g G,
    ref_id: String,
}

impl<'g, G: Gateway> ImageRef<'g, G> {
    pub fn new(gateway: &'g G, ref_id: &str) -> Self {
        ImageRef { gateway, ref_id: ref_id.to_string() }
    }
}

impl<G: Gateway> ImageFs for ImageRef<'_, G> {
    async fn list(&self, dir: &str) -> Result<Vec<(String, Entry)>, String> {
        let stats = self.gateway.read_dir_stats(&self.ref_id, dir).await.map_err(|e| e.message)?;
        Ok(stats.iter().map(entry).collect())
    }

    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.gateway.read_range(&self.ref_id, path, offset, length).await.map_err(|e| e.message)
    }
}

/// An entry of a gateway listing (the builder's or the image's), by its name alone (BuildKit's `ReadDir`
/// is one level).
pub(super) fn entry(s: &FileStat) -> (String, Entry) {
    let kind = if s.is_symlink() {
        Kind::Symlink(s.linkname.clone())
    } else if s.is_dir() {
        Kind::Dir
    } else if s.is_regular() {
        Kind::File
    } else {
        Kind::Other
    };
    let name = s.path.rsplit('/').next().unwrap_or_default().to_string();
    (name, Entry { kind, mode: s.mode_bits(), uid: s.uid, gid: s.gid, size: u64::try_from(s.size).unwrap_or(0) })
}

//! The builder's solved output as a [`verify::Filesystem`]: each call is one gateway request.

use crate::gateway::Gateway;
use crate::verify::{FileStat, Filesystem};

pub struct BuilderFs<'g, G> {
    gateway: &'g G,
    ref_id: String,
}

impl<'g, G: Gateway> BuilderFs<'g, G> {
    pub fn new(gateway: &'g G, ref_id: &str) -> Self {
        BuilderFs { gateway, ref_id: ref_id.to_string() }
    }
}

impl<G: Gateway> Filesystem for BuilderFs<'_, G> {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        let stat = self.gateway.stat_file(&self.ref_id, path).await.map_err(|e| e.message)?;
        Ok(FileStat { is_dir: stat.is_dir(), mode: stat.permissions(), size: u64::try_from(stat.size).unwrap_or(0) })
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.gateway.read_range(&self.ref_id, path, offset, length).await.map_err(|e| e.message)
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        self.gateway.read_dir(&self.ref_id, path).await.map_err(|e| e.message)
    }
}

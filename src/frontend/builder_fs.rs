//! The builder's solved output as a [`verify::Filesystem`]: each call is one gateway request.
//!
//! With a probe (see [`crate::lower::probe`]), a path a read holds is read there; only the rest (the
//! libraries of a dynamic binary) touches the builder itself, which on a build whose steps all come from a
//! cache is what makes BuildKit fetch the builder image.
//!
//! The checks ask for every file at once; at most [`MAX_IN_FLIGHT`] of their requests are sent at a time.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use crate::gateway::Gateway;
use crate::plan::{in_probe, BuilderRead, InProbe};
use crate::verify::{Entry, FileStat, Filesystem};

/// The most gateway requests of the checks in flight at once. BuildKit answers them over the one stdio
/// connection, mounting the ref for each, so more at once gain nothing once that connection is busy, while
/// each holds an answer in memory on both sides (a binary's first 16 KiB, a section table up to 1 MiB, a
/// dpkg list up to 4 MiB): unbounded, 10,000 copies were 10,000 requests at once. 16 keep the connection
/// busy (a round trip on a local daemon is well under a millisecond) and bound the answers held.
pub const MAX_IN_FLIGHT: usize = 16;

pub struct BuilderFs<'g, G> {
    gateway: &'g G,
    ref_id: String,
    probe: Option<(String, Vec<BuilderRead>)>,
    permits: Semaphore,
    /// The paths looked for by name that the probe answered at their own path (see [`Self::held_by_name`]).
    held: Mutex<BTreeSet<String>>,
}

impl<'g, G: Gateway> BuilderFs<'g, G> {
    pub fn new(gateway: &'g G, ref_id: &str) -> Self {
        BuilderFs {
            gateway,
            ref_id: ref_id.to_string(),
            probe: None,
            permits: Semaphore::new(MAX_IN_FLIGHT),
            held: Mutex::default(),
        }
    }

    /// The builder paths looked for by name ([`BuilderRead::by_name`]) that the probe held as themselves:
    /// read there with their own symlink followed, as a copy out of the probe follows it. The others (a
    /// symlink there points outside the probe) are copied into the image from the builder.
    pub fn held_by_name(&self) -> BTreeSet<String> {
        self.held.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// `request`, once fewer than [`MAX_IN_FLIGHT`] others are in flight.
    async fn limited<T>(&self, request: impl Future<Output = T>) -> T {
        // The semaphore is never closed; were it, the request would just go unbounded.
        let _permit = self.permits.acquire().await.ok();
        request.await
    }

    /// Reads what `reads` cover from the solved probe `probe_ref`.
    pub fn with_probe(mut self, probe_ref: &str, reads: Vec<BuilderRead>) -> Self {
        self.probe = Some((probe_ref.to_string(), reads));
        self
    }

    /// The probe's ref and where it holds `path`, if it does.
    fn in_probe(&self, path: &str) -> Option<(&str, InProbe)> {
        let (ref_id, reads) = self.probe.as_ref()?;
        Some((ref_id.as_str(), in_probe(reads, path)?))
    }

    /// Whether `path`, below the read at `root`, is missing from the probe's listing of its directory or,
    /// where that directory is missing too, of the nearest one above it that the probe lists. A name that
    /// is listed but cannot be read through (a symlink to outside what was copied) is not an answer.
    async fn listed_without(&self, ref_id: &str, root: &str, path: &str) -> bool {
        let mut path = path.to_string();
        while let Some((dir, name)) = path.rsplit_once('/') {
            if dir.len() < root.len() {
                return false;
            }
            match self.limited(self.gateway.read_dir(ref_id, dir)).await {
                Ok(names) => return !names.iter().any(|n| n == name),
                Err(_) => path = dir.to_string(),
            }
        }
        false
    }

    /// `call` on the probe where it holds `path`; on the builder when it does not, or when its miss (or,
    /// for a listing, its answer) may not be the builder's.
    async fn read<T, F, Fut>(&self, path: &str, listing: bool, call: F) -> Result<T, String>
    where
        F: Fn(String, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        if let Some((ref_id, found)) = self.in_probe(path) {
            // A listing through a read with `only` patterns names only what they matched.
            if !listing || found.exhaustive {
                let final_miss = found.miss_is_final();
                let answer = self.limited(call(ref_id.to_string(), found.path.clone())).await;
                if answer.is_ok() && found.by_name && found.own {
                    if let Ok(mut held) = self.held.lock() {
                        held.insert(path.to_string());
                    }
                }
                if answer.is_ok() || final_miss {
                    return answer;
                }
                // Below a whole read, a name its directory lists without is not in the builder either (the
                // directory itself, reached through a symlink pointing outside the probe, would not list).
                if found.whole && self.listed_without(ref_id, &found.root, &found.path).await {
                    return answer;
                }
            }
        }
        self.limited(call(self.ref_id.clone(), path.to_string())).await
    }
}

impl<G: Gateway> Filesystem for BuilderFs<'_, G> {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        self.read(path, false, |ref_id, path| async move {
            let stat = self.gateway.stat_file(&ref_id, &path).await.map_err(|e| e.message)?;
            Ok(FileStat {
                is_dir: stat.is_dir(),
                mode: stat.permissions(),
                size: u64::try_from(stat.size).unwrap_or(0),
            })
        })
        .await
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.read(path, false, |ref_id, path| async move {
            self.gateway.read_range(&ref_id, &path, offset, length).await.map_err(|e| e.message)
        })
        .await
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        self.read(path, true, |ref_id, path| async move {
            self.gateway.read_dir(&ref_id, &path).await.map_err(|e| e.message)
        })
        .await
    }
    async fn list(&self, path: &str) -> Result<Vec<(String, Entry)>, String> {
        let entries = self
            .read(path, true, |ref_id, path| async move {
                self.gateway.read_dir_stats(&ref_id, &path).await.map_err(|e| e.message)
            })
            .await?;
        Ok(entries.iter().map(super::image_fs::entry).collect())
    }
}

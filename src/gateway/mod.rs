//! BuildKit's gateway API, transport only: the only module that speaks gRPC.
//!
//! [`Gateway`] is the slice of the LLBBridge service the frontend uses; [`client::StdioGateway`]
//! implements it over the stdin/stdout pipes BuildKit hands a frontend container, and tests implement
//! it with a fake. [`Options`] are the frontend options BuildKit passes in the environment, [`Request`]
//! what they ask for, typed ([`keys`] names them all). The build
//! flow written against the trait is [`crate::frontend`].

mod attest;
pub mod client;
pub mod keys;
pub mod options;
mod request;

use std::collections::BTreeSet;

use crate::platform::Platform;
use crate::proto::pb;

pub use attest::{parse_bool, Sbom, DEFAULT_GENERATOR};
pub use options::{parse_dockerignore, Options};
pub use request::{BadOption, Checks, Request, ResolveMode};

/// A request BuildKit refused or failed. `details` are BuildKit's own structured error details (the
/// `google.rpc.Status` details: the failing vertex, its source lines, the exec's exit code); a frontend
/// that fails because of this error returns them unchanged, so buildx can show them as for a Dockerfile.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    pub message: String,
    pub details: Vec<prost_types::Any>,
}

impl GatewayError {
    pub fn new(message: impl Into<String>) -> Self {
        GatewayError { message: message.into(), details: Vec::new() }
    }
}

/// What `Ping` says the server can do.
#[derive(Clone, Debug, Default)]
pub struct Caps {
    /// Enabled gateway API caps (`solve.base`, `gateway.warnings`, ...).
    pub frontend: BTreeSet<String>,
    /// Enabled LLB caps (`mergeop`, `file.copy.includeexcludepatterns`, ...).
    pub llb: BTreeSet<String>,
    /// Platforms of the first worker; the first is the default build platform.
    pub worker_platforms: Vec<Platform>,
}

impl Caps {
    pub fn has_llb(&self, cap: &str) -> bool {
        self.llb.contains(cap)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ResolvedImage {
    /// The manifest digest to pin the reference to.
    pub digest: String,
    /// The image config JSON.
    pub config: Vec<u8>,
}

/// A cache to import for a solve (`--cache-from`): its type (`registry`, `local`, `gha`, …) and attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheImport {
    pub kind: String,
    pub attrs: std::collections::BTreeMap<String, String>,
}

/// File metadata as the gateway reports it (Go `os.FileMode` bits in `mode`).
#[derive(Clone, Debug, Default)]
pub struct FileStat {
    /// The entry's name in a directory listing (`ReadDir`); empty from `StatFile`.
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: i64,
    pub linkname: String,
}

impl FileStat {
    const DIR: u32 = 1 << 31;
    /// Go's `os.ModeSymlink`: set in a directory listing's entries (a stat follows the link).
    const SYMLINK: u32 = 1 << 27;
    /// Device, named pipe, socket, character device: none of them a file or a directory.
    const SPECIAL: u32 = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21);
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const STICKY: u32 = 1 << 20;
    /// Go's type bits: directory, symlink, named pipe, socket, device, char device, irregular.
    const TYPE: u32 = (1 << 31) | (1 << 27) | (1 << 25) | (1 << 24) | (1 << 26) | (1 << 21) | (1 << 19);

    pub fn is_dir(&self) -> bool {
        self.mode & Self::DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & Self::SYMLINK != 0
    }

    pub fn is_special(&self) -> bool {
        self.mode & Self::SPECIAL != 0
    }

    pub fn is_regular(&self) -> bool {
        self.mode & Self::TYPE == 0
    }

    pub fn permissions(&self) -> u32 {
        self.mode & 0o777
    }

    /// The permission bits with setuid, setgid and sticky as `chmod` writes them (`0o1777`).
    pub fn mode_bits(&self) -> u32 {
        let special = [(Self::SETUID, 0o4000), (Self::SETGID, 0o2000), (Self::STICKY, 0o1000)];
        special.iter().filter(|(go, _)| self.mode & go != 0).fold(self.permissions(), |m, (_, bit)| m | bit)
    }
}

/// A spec warning, attached to the vertex that loaded the spec so buildx shows it with the source.
#[derive(Clone, Debug)]
pub struct Warning {
    pub vertex: String,
    pub message: String,
    pub hint: Option<String>,
    pub filename: String,
    pub source: String,
    pub line: usize,
    pub column: usize,
}

/// One image per platform, its config, and the attestations that go with it.
#[derive(Clone, Debug)]
pub struct Built {
    pub platform: Platform,
    pub ref_id: String,
    pub config: Vec<u8>,
    /// Returned in `Result.attestations` under this platform's ID (BuildKit ≥0.11, cap
    /// `reference.attestations`); BuildKit writes them to the attestation manifest.
    pub attestations: Vec<Bundle>,
}

/// An attestation bundle: the directory `path` of a solved ref holds in-toto statements, one per file, as
/// BuildKit's SBOM generators write them. BuildKit unbundles it at export and sets the subjects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    pub ref_id: String,
    pub path: String,
    /// The predicate type every statement in the bundle must have (e.g. `https://spdx.dev/Document`).
    pub predicate_type: String,
    /// BuildKit's attestation metadata (`reason`, `sbom-core`, ...).
    pub metadata: std::collections::BTreeMap<String, Vec<u8>>,
}

/// Every method takes `&self` so independent requests can be in flight together: BuildKit serves them
/// concurrently over the one HTTP/2 connection, and each file request pays for a snapshot mount.
#[allow(async_fn_in_trait)]
pub trait Gateway {
    async fn ping(&self) -> Result<Caps, GatewayError>;
    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        resolve_mode: &str,
    ) -> Result<ResolvedImage, GatewayError>;
    /// Solves a Definition lazily, importing the given caches; returns the ref id.
    async fn solve(&self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError>;
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError>;
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError>;
    /// `length` bytes at `offset` (fewer at the end of the file). The default reads the whole file.
    async fn read_range(&self, ref_id: &str, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, GatewayError> {
        let all = self.read_file(ref_id, path).await?;
        let start = (offset as usize).min(all.len());
        let end = start.saturating_add(length as usize).min(all.len());
        Ok(all[start..end].to_vec())
    }
    /// The names of a directory's entries.
    async fn read_dir(&self, _ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        Err(GatewayError::new(format!("cannot list {path}: ReadDir is not available")))
    }
    /// A directory's entries with their metadata, as `lstat` sees them (symlinks not followed: BuildKit's
    /// `ReadDir` answers so), each with its name in `path`. The default stats each name, which follows
    /// symlinks.
    async fn read_dir_stats(&self, ref_id: &str, path: &str) -> Result<Vec<FileStat>, GatewayError> {
        let names = self.read_dir(ref_id, path).await?;
        let base = path.trim_end_matches('/');
        let paths: Vec<String> = names.iter().map(|n| format!("{base}/{n}")).collect();
        let stats = futures_util::future::join_all(paths.iter().map(|p| self.stat_file(ref_id, p))).await;
        Ok(names.into_iter().zip(stats).map(|(n, s)| FileStat { path: n, ..s.unwrap_or_default() }).collect())
    }
    /// A warning shown in the build output (BuildKit ≥0.10, cap `gateway.warnings`). The default drops it.
    async fn warn(&self, _warning: &Warning) -> Result<(), GatewayError> {
        Ok(())
    }
    /// The final answer: one image, or one per platform.
    async fn return_images(&self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError>;
    /// The final answer when there is no image: metadata only (subrequests).
    async fn return_metadata(&self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError>;
    /// The final answer when the build failed: the message, and error details to pass through (see
    /// [`GatewayError::details`]).
    async fn return_error(&self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError>;
}

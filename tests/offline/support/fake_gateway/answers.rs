//! The fake's answers to each gateway request, and [`Shared`], which hands them to the frontend through
//! the `&self` trait.

use std::cell::{Cell, RefCell};

use scratchkit::gateway::{Built, CacheImport, Caps, FileStat, Gateway, GatewayError, ResolvedImage, Warning};
use scratchkit::platform::Platform;
use scratchkit::proto::pb;

use super::*;

/// The fake's answers; [`Shared`] hands them to the frontend through the `&self` trait.
impl FakeGateway {
    pub fn ping(&mut self) -> Result<Caps, GatewayError> {
        let readdir = self.image.as_ref().map(|_| "readdir".to_string());
        Ok(Caps {
            frontend: MODERN_FRONTEND_CAPS.iter().map(|c| c.to_string()).chain(readdir).collect(),
            llb: self.llb_caps.clone(),
            worker_platforms: vec![Platform::linux_amd64()],
        })
    }

    pub fn resolve_image_config(
        &mut self,
        reference: &str,
        platform: &Platform,
        _mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        self.resolved.push((reference.into(), platform.clone()));
        Ok(ResolvedImage { digest: DIGEST.into(), config: BUILDER_CONFIG.as_bytes().to_vec() })
    }

    pub fn solve(&mut self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        let kind = self.classify(&def);
        if kind == Kind::Probe && self.refuse_probe {
            return Err(GatewayError::new("failed to load LLB: unknown file action".to_string()));
        }
        self.solved.push(Solved { kind, def, cache_imports: cache_imports.to_vec() });
        Ok(format!("ref-{}", self.solved.len() - 1))
    }

    pub fn read_file(&mut self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        let found = match kind {
            Kind::Spec if path == self.spec_name => Some(self.spec.clone().into_bytes()),
            Kind::DockerIgnore if path == ".dockerignore" => self.dockerignore.clone().map(String::into_bytes),
            Kind::Builder | Kind::Probe => self.builder_path(ref_id, kind, path)?.and_then(|p| self.builder_file(&p)),
            Kind::Context => self.context_files.get(path).cloned(),
            _ => None,
        };
        found.ok_or_else(|| GatewayError::new(format!("open {path}: no such file or directory ({kind:?} {ref_id})")))
    }

    /// A builder file's contents: its bytes, or else a script (not ELF: the frontend needs no library closure).
    pub fn builder_file(&self, path: &str) -> Option<Vec<u8>> {
        match self.builder_bytes.get(path) {
            Some(bytes) => Some(bytes.clone()),
            None => self.builder_files.get(path).filter(|s| !s.is_dir()).map(|_| b"#!/bin/sh\n".to_vec()),
        }
    }

    /// The builder path a read of `path` in a builder or probe ref is, recorded; `None` where the probe
    /// holds nothing.
    pub fn builder_path(&mut self, ref_id: &str, kind: Kind, path: &str) -> Result<Option<String>, GatewayError> {
        if kind == Kind::Builder {
            self.builder_reads.push(path.into());
            return Ok(Some(path.into()));
        }
        self.probe_reads.push(path.into());
        let probe = probe_copies(&self.solved_ref(ref_id)?.def);
        let Some((copy, rest)) = probe_location(&probe, path) else {
            return Ok(None);
        };
        let excluded = rest.split('/').next().is_some_and(|first| copy.exclude.iter().any(|e| e == first));
        let included =
            copy.include.is_empty() || copy.include.iter().any(|p| glob_matches(p, &rest) || glob_parent(p, &rest));
        if excluded || (!rest.is_empty() && !included) {
            return Ok(None);
        }
        let inside = if rest.is_empty() { copy.path.clone() } else { format!("{}/{rest}", copy.path) };
        if !rest.is_empty() && self.links.contains_key(&inside) {
            // Copied as a link below the read's own path: its absolute target is not in the probe.
            return Ok(None);
        }
        // The copy follows the symlinks of its source path; the fake's builder has none.
        Ok((self.builder_files.contains_key(&inside) || self.has_dir(&inside)).then_some(inside))
    }

    /// Whether the builder has this directory (as an entry, or as the parent of one).
    pub fn has_dir(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        dir == "/" || self.builder_files.contains_key(dir) || self.builder_files.keys().any(|p| p.starts_with(&prefix))
    }

    pub fn stat_file(&mut self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        if kind == Kind::Image && path == "." && self.image.is_some() {
            return Ok(FileStat { mode: DIR | 0o755, ..FileStat::default() });
        }
        if kind == Kind::Context {
            let bytes = self
                .context_files
                .get(path)
                .ok_or_else(|| GatewayError::new(format!("stat {path}: no such file or directory")))?;
            return Ok(FileStat { mode: 0o755, size: bytes.len() as i64, ..FileStat::default() });
        }
        if !matches!(kind, Kind::Builder | Kind::Probe) {
            return Err(GatewayError::new(format!("stat {path}: {ref_id} is a {kind:?}, not the builder")));
        }
        if path == "." {
            if kind == Kind::Builder {
                // The stat that runs the build: on a build whose steps are all cached, it pulls the builder.
                self.builder_reads.push(path.into());
            }
            if let Some(message) = &self.build_failure {
                return Err(GatewayError { message: message.clone(), details: self.build_failure_details.clone() });
            }
            // As BuildKit's wildcard copy does: the directory a pattern starts from must exist.
            if kind == Kind::Probe {
                let copies = probe_copies(&self.solved_ref(ref_id)?.def);
                // A literal copy fails without its path; a pattern without the directory it starts from.
                for copy in &copies {
                    let needed = copy.from.as_deref().unwrap_or(&copy.path);
                    if !self.builder_files.contains_key(needed) && !self.has_dir(needed) {
                        return Err(GatewayError::new(format!("lstat {needed}: no such file or directory")));
                    }
                }
            }
            return Ok(FileStat { mode: DIR | 0o755, ..FileStat::default() });
        }
        let found = self.builder_path(ref_id, kind, path)?.and_then(|p| self.builder_files.get(&p).cloned());
        found.ok_or_else(|| GatewayError::new(format!("stat {path}: no such file or directory")))
    }

    /// The names of a builder directory's entries (BuildKit's ReadDir gives them without the directory).
    pub fn read_dir(&mut self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        let missing = || GatewayError::new(format!("readdir {path}: no such file or directory"));
        let Some(dir) =
            (if matches!(kind, Kind::Builder | Kind::Probe) { self.builder_path(ref_id, kind, path)? } else { None })
        else {
            return Err(missing());
        };
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let mut names: Vec<String> = self
            .builder_files
            .keys()
            .filter(|p| p.starts_with(&prefix))
            .filter_map(|p| p[prefix.len()..].split('/').next().map(str::to_string))
            .collect();
        names.dedup();
        if kind == Kind::Probe {
            // What the probe's include patterns left out is not there.
            let copies = probe_copies(&self.solved_ref(ref_id)?.def);
            if let Some((copy, local)) = probe_location(&copies, path) {
                let rel = |n: &str| if local.is_empty() { n.to_string() } else { format!("{local}/{n}") };
                names.retain(|n| {
                    copy.include.is_empty()
                        || copy.include.iter().any(|p| glob_matches(p, &rel(n)) || glob_parent(p, &rel(n)))
                });
            }
        }
        if names.is_empty() && !self.builder_files.get(&dir).is_some_and(FileStat::is_dir) {
            return Err(missing());
        }
        Ok(names)
    }

    /// The image's entries right below `path`, named as BuildKit's ReadDir names them.
    pub fn read_dir_stats(&mut self, ref_id: &str, path: &str) -> Result<Vec<FileStat>, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        if kind != Kind::Image {
            // The builder and the probe: each name stat'ed, as the trait's default does.
            let names = self.read_dir(ref_id, path)?;
            let base = path.trim_end_matches('/');
            return names
                .into_iter()
                .map(|n| self.stat_file(ref_id, &format!("{base}/{n}")).map(|s| FileStat { path: n, ..s }))
                .collect();
        }
        let Some(image) = self.image.as_ref() else {
            return Err(GatewayError::new(format!("readdir {path}: {ref_id} is a {kind:?}")));
        };
        self.image_lists.push(path.into());
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        Ok(image
            .iter()
            .filter_map(|(p, stat)| {
                p.strip_prefix(&prefix)
                    .filter(|n| !n.is_empty() && !n.contains('/'))
                    .map(|n| FileStat { path: n.into(), ..stat.clone() })
            })
            .collect())
    }

    pub fn warn(&mut self, warning: &Warning) -> Result<(), GatewayError> {
        self.warnings.push(warning.clone());
        Ok(())
    }

    pub fn return_images(&mut self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        self.answer(Answer::Images { images, multi_platform });
        Ok(())
    }

    pub fn return_metadata(&mut self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.answer(Answer::Metadata(metadata.into_iter().collect()));
        Ok(())
    }

    pub fn return_error(&mut self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        self.returned_details = details;
        self.answer(Answer::Error(message));
        Ok(())
    }
}

/// The frontend calls the gateway through `&self`, so requests may overlap. Each call here first yields
/// to the runtime (as a real request waits for its answer), counting the calls in flight, then answers
/// from the fake under a `RefCell` borrow that lasts only for that synchronous answer.
pub struct Shared<'a> {
    pub fake: RefCell<&'a mut FakeGateway>,
    pub in_flight: Cell<usize>,
    pub peak: Cell<usize>,
}

impl Shared<'_> {
    pub async fn call<T>(&self, answer: impl FnOnce(&mut FakeGateway) -> T) -> T {
        self.in_flight.set(self.in_flight.get() + 1);
        self.peak.set(self.peak.get().max(self.in_flight.get()));
        tokio::task::yield_now().await;
        let result = answer(&mut self.fake.borrow_mut());
        self.in_flight.set(self.in_flight.get() - 1);
        result
    }
}

impl Gateway for Shared<'_> {
    async fn ping(&self) -> Result<Caps, GatewayError> {
        self.call(|f| f.ping()).await
    }
    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        self.call(|f| f.resolve_image_config(reference, platform, mode)).await
    }
    async fn solve(&self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        self.call(|f| f.solve(def, cache_imports)).await
    }
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        self.call(|f| f.read_file(ref_id, path)).await
    }
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        self.call(|f| f.stat_file(ref_id, path)).await
    }
    async fn read_dir(&self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        self.call(|f| f.read_dir(ref_id, path)).await
    }
    async fn read_dir_stats(&self, ref_id: &str, path: &str) -> Result<Vec<FileStat>, GatewayError> {
        self.call(|f| f.read_dir_stats(ref_id, path)).await
    }
    async fn warn(&self, warning: &Warning) -> Result<(), GatewayError> {
        self.call(|f| f.warn(warning)).await
    }
    async fn return_images(&self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        self.call(|f| f.return_images(images, multi_platform)).await
    }
    async fn return_metadata(&self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.call(|f| f.return_metadata(metadata)).await
    }
    async fn return_error(&self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        self.call(|f| f.return_error(message, details)).await
    }
}

//! Test layer 5: the whole frontend (`frontend::run`) against `FakeGateway`, an in-memory
//! LLBBridge. The fake classifies every Definition the frontend solves (spec local, `.dockerignore`
//! local, builder, image) by decoding its ops, answers file reads and stats the way BuildKit would,
//! and records the one answer the frontend returns. One BuildKit is modern (with MergeOp), the other
//! old (without it). No daemon needed.

use scratchkit::rules::codes::*;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use prost::Message;
use scratchkit::frontend::run;
use scratchkit::gateway::{Built, CacheImport, Caps, FileStat, Gateway, GatewayError, Options, ResolvedImage, Warning};
use scratchkit::llb::{digest_of, render};
use scratchkit::platform::Platform;
use scratchkit::proto::pb;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------------
// The fake gateway
// ---------------------------------------------------------------------------------------------------

/// Go `os.ModeDir`.
const DIR: u32 = 1 << 31;
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
const ZONEINFO: &str = "/usr/share/zoneinfo";
const SERVICES: &str = "/etc/services";
const PROTOCOLS: &str = "/etc/protocols";
const MIME_TYPES: &str = "/etc/mime.types";
/// The manifest digest every image resolves to.
const DIGEST: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const BUILDER_CONFIG: &str = r#"{"config":{"Env":["PATH=/usr/local/go/bin:/usr/bin:/bin","GOPATH=/go"]}}"#;

/// LLB caps of a current BuildKit.
const MODERN_LLB_CAPS: &[&str] = &[
    "constraints",
    "exec.meta.base",
    "exec.mount.bind",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.platform",
    "file.base",
    "file.copy.includeexcludepatterns",
    "mergeop",
    "meta.description",
    "meta.ignorecache",
    "platform",
    "source.image",
    "source.image.resolvemode",
    "source.local",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.local.sharedkeyhint",
    "source.local.session",
];
const MODERN_FRONTEND_CAPS: &[&str] =
    &["solve.base", "solve.inlinereturn", "gateway.warnings", "frontend.inputs", "resolveimage"];

/// What a solved Definition is, judged from its ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The local that holds the spec (`local.followpaths` names the spec file).
    Spec,
    /// The context local restricted to `.dockerignore`.
    DockerIgnore,
    /// Ends in an exec and has no merge: the builder stage alone.
    Builder,
    /// The probe: the builder paths the checks read, copied out of the builder (`lower::probe`).
    Probe,
    /// The build context alone, read to check the files copied from it.
    Context,
    /// Anything else: the final image.
    Image,
}

struct Solved {
    kind: Kind,
    def: pb::Definition,
    cache_imports: Vec<CacheImport>,
}

/// The single answer the frontend gives BuildKit.
enum Answer {
    Images { images: Vec<Built>, multi_platform: bool },
    Metadata(BTreeMap<String, Vec<u8>>),
    Error(String),
}

/// Readable in failure messages: configs as text, not bytes.
impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Images { images, multi_platform } => {
                let list: Vec<String> = images
                    .iter()
                    .map(|b| format!("{} {} {}", b.platform, b.ref_id, String::from_utf8_lossy(&b.config)))
                    .collect();
                write!(f, "Images(multi_platform={multi_platform}, {list:#?})")
            }
            Answer::Metadata(md) => write!(f, "Metadata({:?})", md.keys().collect::<Vec<_>>()),
            Answer::Error(message) => write!(f, "Error({message})"),
        }
    }
}

struct FakeGateway {
    // What the fake is configured to answer.
    llb_caps: BTreeSet<String>,
    spec_name: String,
    spec: String,
    dockerignore: Option<String>,
    builder_files: BTreeMap<String, FileStat>,
    /// Contents of builder files; a file without contents reads as a shell script (not ELF).
    builder_bytes: BTreeMap<String, Vec<u8>>,
    build_failure: Option<String>,
    /// The error details the failed build carries (BuildKit's: source, vertex, exec error).
    build_failure_details: Vec<prost_types::Any>,
    /// The details the frontend returned with its error.
    returned_details: Vec<prost_types::Any>,
    // What the frontend sent it.
    solved: Vec<Solved>,
    resolved: Vec<(String, Platform)>,
    warnings: Vec<Warning>,
    answer: Option<Answer>,
    /// The most requests the frontend had in flight at once.
    peak_in_flight: usize,
    /// Every path the frontend read (stat, read, readdir) of the builder itself and of the probe.
    builder_reads: Vec<String>,
    probe_reads: Vec<String>,
    /// BuildKit refuses to solve the probe (as one that cannot read an op would).
    refuse_probe: bool,
    /// Builder symlinks with absolute targets, by path: the builder resolves them through its own root;
    /// copied into the probe below a read's own path, they point into nothing.
    links: BTreeMap<String, String>,
    /// The assembled image, by path, as `ReadDir` lists it (with owners and link targets). With one, the
    /// fake advertises `readdir` and the frontend checks the image.
    image: Option<BTreeMap<String, FileStat>>,
    /// Paths of the image the frontend listed.
    image_lists: Vec<String>,
    /// Files of the build context, by path from its root (`/hello`).
    context_files: BTreeMap<String, Vec<u8>>,
}

impl FakeGateway {
    /// A current BuildKit serving `spec` as `scratch.yaml`, whose builder produced `/out/app` (0755),
    /// has a CA bundle, a time zone database, `/etc/services`, `/etc/protocols` and `/etc/mime.types`.
    fn modern(spec: &str) -> Self {
        FakeGateway {
            llb_caps: MODERN_LLB_CAPS.iter().map(|c| c.to_string()).collect(),
            spec_name: "scratch.yaml".into(),
            spec: spec.into(),
            dockerignore: None,
            builder_files: BTreeMap::new(),
            builder_bytes: BTreeMap::new(),
            build_failure: None,
            build_failure_details: Vec::new(),
            returned_details: Vec::new(),
            solved: Vec::new(),
            resolved: Vec::new(),
            warnings: Vec::new(),
            answer: None,
            peak_in_flight: 0,
            builder_reads: Vec::new(),
            probe_reads: Vec::new(),
            refuse_probe: false,
            links: BTreeMap::new(),
            image: None,
            image_lists: Vec::new(),
            context_files: BTreeMap::new(),
        }
        // Directories every Linux builder has (the probe looks for its paths from them).
        .with_file("/etc", DIR | 0o755)
        .with_file("/usr/lib", DIR | 0o755)
        .with_file("/usr/share", DIR | 0o755)
        .with_file("/var/lib", DIR | 0o755)
        .with_file("/out/app", 0o755)
        .with_file(CA_BUNDLE, 0o644)
        .with_file(ZONEINFO, DIR | 0o755)
        .with_file(SERVICES, 0o644)
        .with_file(PROTOCOLS, 0o644)
        .with_file(MIME_TYPES, 0o644)
    }

    /// A BuildKit from before MergeOp (< 0.10); the frontend builds on it only when asked to ([`ALLOW_OLD`]).
    fn old_buildkit(spec: &str) -> Self {
        let mut fake = Self::modern(spec);
        fake.llb_caps.remove("mergeop");
        fake
    }

    /// The spec's file name inside the spec local (what `-f` gives as `filename`).
    fn named(mut self, name: &str) -> Self {
        self.spec_name = name.into();
        self
    }

    fn with_file(mut self, path: &str, mode: u32) -> Self {
        self.builder_files.insert(path.into(), FileStat { mode, size: 10, ..FileStat::default() });
        self
    }

    /// A builder file with these contents (e.g. a real ELF binary, so the checks and the library
    /// closure run on it).
    fn with_bytes(mut self, path: &str, mode: u32, bytes: Vec<u8>) -> Self {
        self.builder_files.insert(path.into(), FileStat { mode, size: bytes.len() as i64, ..FileStat::default() });
        self.builder_bytes.insert(path.into(), bytes);
        self
    }

    /// A symlink at `path` to the absolute `target`, which the builder has.
    fn with_link(mut self, path: &str, target: &str) -> Self {
        let stat = self.builder_files.get(target).cloned().unwrap_or_else(|| panic!("{target} is not in the builder"));
        self.builder_files.insert(path.into(), stat);
        self.links.insert(path.into(), target.into());
        self
    }

    /// A file of the build context.
    fn with_context_file(mut self, path: &str, bytes: Vec<u8>) -> Self {
        self.context_files.insert(path.into(), bytes);
        self
    }

    fn without_file(mut self, path: &str) -> Self {
        assert!(self.builder_files.remove(path).is_some(), "{path} was not in the builder");
        self
    }

    fn with_dockerignore(mut self, text: &str) -> Self {
        self.dockerignore = Some(text.into());
        self
    }

    /// The builder's `run` fails: the first stat of its output (which runs the solve) says so.
    fn failing_build(mut self, message: &str) -> Self {
        self.build_failure = Some(message.into());
        self
    }

    fn classify(&self, def: &pb::Definition) -> Kind {
        if head_name(def) == scratchkit::lower::probe::NAME {
            return Kind::Probe;
        }
        let ops = ops(def);
        let has_exec = ops.iter().any(|o| matches!(o.op, Some(pb::op::Op::Exec(_))));
        let has_merge = ops.iter().any(|o| matches!(o.op, Some(pb::op::Op::Merge(_))));
        if !has_exec {
            for source in sources(def).iter().filter(|s| s.identifier.starts_with("local://")) {
                let follow: Vec<String> = source
                    .attrs
                    .get("local.followpaths")
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default();
                if follow.iter().any(|p| p == ".dockerignore") {
                    return Kind::DockerIgnore;
                }
                if follow.contains(&self.spec_name) {
                    return Kind::Spec;
                }
            }
            // A builder without `run`: its image with the context copied in.
            if head_name(def).starts_with("[builder]") {
                return Kind::Builder;
            }
            let only_context = ops.iter().filter(|o| o.op.is_some()).count() == 1
                && sources(def)
                    .iter()
                    .any(|s| s.identifier.starts_with("local://") && !s.attrs.contains_key("local.followpaths"));
            return if only_context { Kind::Context } else { Kind::Image };
        }
        let head_is_exec = head(def).is_some_and(|o| matches!(o.op, Some(pb::op::Op::Exec(_))));
        if head_is_exec && !has_merge {
            Kind::Builder
        } else {
            Kind::Image
        }
    }

    fn solved_ref(&self, ref_id: &str) -> Result<&Solved, GatewayError> {
        ref_id
            .strip_prefix("ref-")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| self.solved.get(n))
            .ok_or_else(|| GatewayError::new(format!("no such ref {ref_id}")))
    }

    fn answer(&mut self, answer: Answer) {
        if let Some(first) = &self.answer {
            panic!("the frontend returned twice: first {first:?}, then {answer:?}");
        }
        self.answer = Some(answer);
    }

    // What the frontend did, for assertions.

    fn definitions(&self, kind: Kind) -> Vec<&pb::Definition> {
        self.solved.iter().filter(|s| s.kind == kind).map(|s| &s.def).collect()
    }

    /// The only Definition of this kind.
    fn only(&self, kind: Kind) -> &pb::Definition {
        let defs = self.definitions(kind);
        assert_eq!(defs.len(), 1, "expected exactly one {kind:?} definition, got {}", defs.len());
        defs[0]
    }

    fn images(&self) -> (&[Built], bool) {
        match &self.answer {
            Some(Answer::Images { images, multi_platform }) => (images, *multi_platform),
            other => panic!("expected images, the frontend returned {other:?}"),
        }
    }

    fn error(&self) -> &str {
        match &self.answer {
            Some(Answer::Error(message)) => message,
            other => panic!("expected an error, the frontend returned {other:?}"),
        }
    }

    fn metadata(&self) -> &BTreeMap<String, Vec<u8>> {
        match &self.answer {
            Some(Answer::Metadata(md)) => md,
            other => panic!("expected metadata, the frontend returned {other:?}"),
        }
    }
}

/// The fake's answers; [`Shared`] hands them to the frontend through the `&self` trait.
impl FakeGateway {
    fn ping(&mut self) -> Result<Caps, GatewayError> {
        let readdir = self.image.as_ref().map(|_| "readdir".to_string());
        Ok(Caps {
            frontend: MODERN_FRONTEND_CAPS.iter().map(|c| c.to_string()).chain(readdir).collect(),
            llb: self.llb_caps.clone(),
            worker_platforms: vec![Platform::linux_amd64()],
        })
    }

    fn resolve_image_config(
        &mut self,
        reference: &str,
        platform: &Platform,
        _mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        self.resolved.push((reference.into(), platform.clone()));
        Ok(ResolvedImage { digest: DIGEST.into(), config: BUILDER_CONFIG.as_bytes().to_vec() })
    }

    fn solve(&mut self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        let kind = self.classify(&def);
        if kind == Kind::Probe && self.refuse_probe {
            return Err(GatewayError::new("failed to load LLB: unknown file action".to_string()));
        }
        self.solved.push(Solved { kind, def, cache_imports: cache_imports.to_vec() });
        Ok(format!("ref-{}", self.solved.len() - 1))
    }

    fn read_file(&mut self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
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
    fn builder_file(&self, path: &str) -> Option<Vec<u8>> {
        match self.builder_bytes.get(path) {
            Some(bytes) => Some(bytes.clone()),
            None => self.builder_files.get(path).filter(|s| !s.is_dir()).map(|_| b"#!/bin/sh\n".to_vec()),
        }
    }

    /// The builder path a read of `path` in a builder or probe ref is, recorded; `None` where the probe
    /// holds nothing.
    fn builder_path(&mut self, ref_id: &str, kind: Kind, path: &str) -> Result<Option<String>, GatewayError> {
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
    fn has_dir(&self, dir: &str) -> bool {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        dir == "/" || self.builder_files.contains_key(dir) || self.builder_files.keys().any(|p| p.starts_with(&prefix))
    }

    fn stat_file(&mut self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
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
    fn read_dir(&mut self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
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
    fn read_dir_stats(&mut self, ref_id: &str, path: &str) -> Result<Vec<FileStat>, GatewayError> {
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

    fn warn(&mut self, warning: &Warning) -> Result<(), GatewayError> {
        self.warnings.push(warning.clone());
        Ok(())
    }

    fn return_images(&mut self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        self.answer(Answer::Images { images, multi_platform });
        Ok(())
    }

    fn return_metadata(&mut self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.answer(Answer::Metadata(metadata.into_iter().collect()));
        Ok(())
    }

    fn return_error(&mut self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        self.returned_details = details;
        self.answer(Answer::Error(message));
        Ok(())
    }
}

/// The frontend calls the gateway through `&self`, so requests may overlap. Each call here first yields
/// to the runtime (as a real request waits for its answer), counting the calls in flight, then answers
/// from the fake under a `RefCell` borrow that lasts only for that synchronous answer.
struct Shared<'a> {
    fake: RefCell<&'a mut FakeGateway>,
    in_flight: Cell<usize>,
    peak: Cell<usize>,
}

impl Shared<'_> {
    async fn call<T>(&self, answer: impl FnOnce(&mut FakeGateway) -> T) -> T {
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

// ---------------------------------------------------------------------------------------------------
// Helpers: running the frontend, reading Definitions
// ---------------------------------------------------------------------------------------------------

fn fixture(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Frontend options as BuildKit passes them in the environment.
fn options(pairs: &[(&str, &str)]) -> Options {
    let opts = pairs.iter().enumerate().map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")));
    Options::from_vars(opts.chain([("BUILDKIT_SESSION_ID".to_string(), "session-1".to_string())]))
}

fn run_frontend(fake: &mut FakeGateway, pairs: &[(&str, &str)]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let shared = Shared { fake: RefCell::new(&mut *fake), in_flight: Cell::new(0), peak: Cell::new(0) };
    runtime.block_on(run(&shared, &options(pairs))).expect("the gateway accepts the answer");
    let peak = shared.peak.get();
    fake.peak_in_flight = peak;
    assert!(fake.answer.is_some(), "the frontend returned nothing");
}

fn ops(def: &pb::Definition) -> Vec<pb::Op> {
    def.def.iter().map(|bytes| pb::Op::decode(bytes.as_slice()).expect("an Op")).collect()
}

/// The op the terminal (last, empty) op points at: what the Definition evaluates to.
fn head(def: &pb::Definition) -> Option<pb::Op> {
    let terminal = pb::Op::decode(def.def.last()?.as_slice()).ok()?;
    assert!(terminal.op.is_none(), "the last op is not the terminal op");
    let wanted = &terminal.inputs.first()?.digest;
    def.def
        .iter()
        .find(|bytes| &digest_of(bytes) == wanted)
        .map(|bytes| pb::Op::decode(bytes.as_slice()).expect("an Op"))
}

fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def).into_iter().filter_map(|o| if let Some(pb::op::Op::Source(s)) = o.op { Some(s) } else { None }).collect()
}

/// Exec ops with the platform they run on.
fn execs(def: &pb::Definition) -> Vec<(Option<pb::Platform>, pb::ExecOp)> {
    ops(def)
        .into_iter()
        .filter_map(|o| if let Some(pb::op::Op::Exec(e)) = o.op { Some((o.platform, e)) } else { None })
        .collect()
}

fn the_exec(def: &pb::Definition) -> (Option<pb::Platform>, pb::Meta) {
    let mut execs = execs(def);
    assert_eq!(execs.len(), 1, "expected one exec");
    let (platform, exec) = execs.remove(0);
    (platform, exec.meta.expect("exec meta"))
}

/// The rendered ops (`scratchkit llb --json`), terminal op included.
fn rendered_ops(def: &pb::Definition) -> Vec<Value> {
    render(def)["ops"].as_array().expect("ops").clone()
}

fn has_merge(def: &pb::Definition) -> bool {
    rendered_ops(def).iter().any(|op| op.get("merge").is_some())
}

/// The name of a Definition's head op.
fn head_name(def: &pb::Definition) -> String {
    let Some(terminal) = def.def.last().and_then(|b| pb::Op::decode(b.as_slice()).ok()) else {
        return String::new();
    };
    terminal.inputs.first().map(|i| name_of(def, &i.digest)).unwrap_or_default()
}

/// One copy of the probe: the builder path it copies (its pattern read back), where the pattern starts
/// (`None`: a literal copy, which fails without the path), and its include and exclude patterns (those of
/// a directory whose entries are looked for by name are their names).
struct ProbeCopy {
    path: String,
    /// Where in the probe: `/N/<name>`, or `/N` for a directory whose entries are looked for by name.
    dest: String,
    from: Option<String>,
    include: Vec<String>,
    exclude: Vec<String>,
}

fn probe_copies(def: &pb::Definition) -> Vec<ProbeCopy> {
    let Some(pb::op::Op::File(file)) = head(def).and_then(|o| o.op) else {
        return Vec::new();
    };
    file.actions
        .iter()
        .filter_map(|a| if let Some(pb::file_action::Action::Copy(c)) = &a.action { Some(c) } else { None })
        .map(|c| {
            // BuildKit refuses a copy into a directory that is not there (`/N`) unless told to make it.
            assert!(c.create_dest_path, "a probe copy into a missing directory: {c:?}");
            let (include, exclude) = (c.include_patterns.clone(), c.exclude_patterns.clone());
            if !c.allow_wildcard {
                assert!(!c.src.contains('['), "a literal probe copy with a pattern: {c:?}");
                return ProbeCopy { path: c.src.clone(), dest: c.dest.clone(), from: None, include, exclude };
            }
            assert!(c.allow_empty_wildcard, "a probe pattern that fails on a missing path: {c:?}");
            // `/var/lib/[d]pkg/info` or `/etc/[\\.]env`: one character class, right below where the pattern starts.
            let open = c.src.find('[').expect("a probe pattern has a class");
            let close = open + c.src[open..].find(']').expect("the class closes");
            let from = c.src[..open].trim_end_matches('/');
            ProbeCopy {
                path: format!(
                    "{}{}{}",
                    &c.src[..open],
                    c.src[open + 1..close].trim_start_matches('\\'),
                    &c.src[close + 1..]
                ),
                dest: c.dest.clone(),
                from: Some(if from.is_empty() { "/".into() } else { from.into() }),
                include,
                exclude,
            }
        })
        .collect()
}

impl ProbeCopy {
    /// Whether this copy takes builder path `path` (itself, or as one of the names its patterns include).
    fn holds(&self, path: &str) -> bool {
        let below = path.strip_prefix(self.path.as_str()).and_then(|r| r.strip_prefix('/'));
        path == self.path
            || below.is_some_and(|rest| !self.include.is_empty() && self.include.iter().any(|p| glob_matches(p, rest)))
    }
}

/// The probe copy that holds probe path `path`, and the rest of the path below it.
fn probe_location<'a>(copies: &'a [ProbeCopy], path: &str) -> Option<(&'a ProbeCopy, String)> {
    copies.iter().find_map(|c| {
        let rest = path.strip_prefix(c.dest.as_str())?;
        match rest.strip_prefix('/') {
            _ if rest.is_empty() => Some((c, String::new())),
            Some(rest) => Some((c, rest.to_string())),
            None => None,
        }
    })
}

/// The builder path a copy from the probe (`/N/<name>/...`) takes, or `None` for a copy not from the probe.
fn from_probe(copies: &[ProbeCopy], src: &str) -> Option<String> {
    probe_location(copies, src)
        .map(|(copy, rest)| if rest.is_empty() { copy.path.clone() } else { format!("{}/{rest}", copy.path) })
}

/// Whether include pattern `pattern` matches `path`, as BuildKit's patternmatcher does: the pattern is
/// trimmed of white space first, one starting with `!` excludes (so includes nothing), `*` stays within one
/// path component, `\\` takes the next character literally and `[...]` is a class of the characters listed.
/// What the pattern matches is copied whole: so is a path below a directory it matches.
fn glob_matches(pattern: &str, path: &str) -> bool {
    let Some(pattern) = include_components(pattern) else { return false };
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() <= path.len()
        && pattern.iter().zip(&path).all(|(p, n)| component_matches(p, &n.chars().collect::<Vec<_>>()))
}

/// Whether `path` is a directory on the way to what `pattern` matches: BuildKit copies those too.
fn glob_parent(pattern: &str, path: &str) -> bool {
    let Some(pattern) = include_components(pattern) else { return false };
    let path: Vec<&str> = path.split('/').collect();
    path.len() < pattern.len()
        && pattern.iter().zip(&path).all(|(p, n)| component_matches(p, &n.chars().collect::<Vec<_>>()))
}

/// The components of an include pattern, or `None` for an exclusion.
fn include_components(pattern: &str) -> Option<Vec<Vec<char>>> {
    let pattern = pattern.trim();
    (!pattern.starts_with('!')).then(|| pattern.split('/').map(|c| c.chars().collect()).collect())
}

fn component_matches(p: &[char], n: &[char]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => (0..=n.len()).any(|i| component_matches(rest, &n[i..])),
        Some(('\\', rest)) => match rest.split_first() {
            Some((c, rest)) => n.first() == Some(c) && component_matches(rest, &n[1..]),
            None => n.first() == Some(&'\\') && n.len() == 1,
        },
        Some(('[', rest)) => {
            let close = rest.iter().position(|&c| c == ']').expect("the class closes");
            n.first().is_some_and(|c| rest[..close].contains(c)) && component_matches(&rest[close + 1..], &n[1..])
        }
        Some((c, rest)) => n.first() == Some(c) && component_matches(rest, &n[1..]),
    }
}

/// `llb.customname` of an op, by its digest.
fn name_of(def: &pb::Definition, digest: &str) -> String {
    def.metadata.get(digest).and_then(|m| m.description.get("llb.customname")).cloned().unwrap_or_default()
}

/// The names of the image's layers, bottom first: the inputs of the merge, or (without MergeOp) the
/// chain of file ops from the head down through each op's first input.
fn layer_names(def: &pb::Definition) -> Vec<String> {
    let by_digest: BTreeMap<String, pb::Op> =
        def.def.iter().map(|b| (digest_of(b), pb::Op::decode(b.as_slice()).expect("an Op"))).collect();
    let terminal = pb::Op::decode(def.def.last().expect("ops").as_slice()).expect("an Op");
    let mut digest = terminal.inputs[0].digest.clone();
    if let Some(pb::op::Op::Merge(_)) = by_digest[&digest].op {
        return by_digest[&digest].inputs.iter().map(|i| name_of(def, &i.digest)).collect();
    }
    let mut names = Vec::new();
    loop {
        let op = &by_digest[&digest];
        if !matches!(op.op, Some(pb::op::Op::File(_))) {
            break;
        }
        names.push(name_of(def, &digest));
        match op.inputs.first() {
            // A layer op's first input is the layer below; the staged copy source comes second.
            Some(below) if op.inputs.len() > 1 => digest = below.digest.clone(),
            _ => break,
        }
    }
    names.reverse();
    names
}

/// A C program compiled by the host's gcc (dynamically linked against the host's glibc), compiled once
/// for all tests (they run in parallel and would race on the files).
fn compiled_c_program() -> Vec<u8> {
    static PROGRAM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("scratchkit-fake-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let (src, out) = (dir.join("hello.c"), dir.join("hello"));
            std::fs::write(&src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").unwrap();
            let status = std::process::Command::new("gcc").arg("-o").arg(&out).arg(&src).status().expect("gcc runs");
            assert!(status.success(), "gcc failed");
            std::fs::read(&out).unwrap()
        })
        .clone()
}

/// The host's dynamic loader and libc, at the paths a Debian amd64 builder has them.
const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// A modern BuildKit whose builder produced a real dynamically linked `/out/app` and has glibc.
fn fake_with_dynamic_app(fake: FakeGateway) -> FakeGateway {
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    fake.with_bytes("/out/app", 0o755, compiled_c_program()).with_bytes(LOADER, 0o755, host(LOADER)).with_bytes(
        LIBC,
        0o755,
        host(LIBC),
    )
}

fn config(built: &Built) -> Value {
    serde_json::from_slice(&built.config).expect("config JSON")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

fn platform_name(p: &Option<pb::Platform>) -> String {
    p.as_ref().map(|p| format!("{}/{}", p.os, p.architecture)).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------

#[test]
fn smallest_spec_returns_one_image_assembled_by_merge_from_a_pinned_builder() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    let (images, multi_platform) = fake.images();
    assert!(!multi_platform);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].platform, Platform::linux_amd64());
    let config = config(&images[0]);
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"], json!(["/out/app"]));
    assert_eq!((config["os"].as_str(), config["architecture"].as_str()), (Some("linux"), Some("amd64")));

    // Solved in order: spec, .dockerignore, builder, its probe (checked), image; the image returned is the last one.
    let kinds: Vec<Kind> = fake.solved.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [Kind::Spec, Kind::DockerIgnore, Kind::Builder, Kind::Probe, Kind::Image]);
    assert_eq!(images[0].ref_id, "ref-4");
    assert!(has_merge(fake.only(Kind::Image)), "{:#}", render(fake.only(Kind::Image)));

    // The builder image was resolved once, for the build platform, and pinned to the digest.
    assert_eq!(fake.resolved, [("docker.io/library/golang:1.23".to_string(), Platform::linux_amd64())]);
    let builder = fake.only(Kind::Builder);
    let ids: Vec<String> = sources(builder).into_iter().map(|s| s.identifier).collect();
    assert!(ids.contains(&format!("docker-image://docker.io/library/golang:1.23@{DIGEST}")), "{ids:?}");

    let (platform, meta) = the_exec(builder);
    assert_eq!(platform_name(&platform), "linux/amd64");
    for var in ["PATH=/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go", "TARGETARCH=amd64", "TARGETOS=linux"] {
        assert!(meta.env.contains(&var.to_string()), "{var} missing from {:?}", meta.env);
    }
    assert!(meta.args.last().is_some_and(|a| a.contains("go build -o /out/app")), "{:?}", meta.args);
    assert!(fake.warnings.is_empty(), "unexpected warnings: {:?}", fake.warnings);
}

/// The names of the ops a Definition holds.
fn op_names(def: &pb::Definition) -> Vec<String> {
    def.def.iter().map(|b| name_of(def, &digest_of(b))).collect()
}

#[test]
fn a_static_binary_is_checked_through_the_probe_without_reading_the_builder() {
    let mut fake = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")))
        .with_file("/out/app", 0o755)
        .with_file("/usr/share/doc/base-files/copyright", 0o644)
        .with_file("/usr/share/doc/ca-certificates/copyright", 0o644)
        .with_file("/etc/os-release", 0o644); // as Debian's symlink is seen (stat follows it)
    fake.builder_bytes.remove("/out/app"); // a static program: no library closure
    run_frontend(&mut fake, &[]);
    fake.images();
    // On a build whose steps all come from a cache, reading the builder is what pulls its image. Only a
    // copyright file the probe lacks is looked for there (a doc directory may be a symlink it cannot follow).
    assert_eq!(fake.builder_reads, ["/usr/share/doc/netbase/copyright"], "the checks read the builder itself");
    assert!(!fake.probe_reads.is_empty());
    // What the probe holds: the copy, the rootfs pieces, the dpkg database, os-release and copyright files.
    let copies = probe_copies(fake.only(Kind::Probe));
    for path in ["/out/app", CA_BUNDLE, ZONEINFO, SERVICES, "/var/lib/dpkg", "/etc/os-release", "/usr/share/doc"] {
        assert!(copies.iter().any(|c| c.holds(path)), "the probe lacks {path}");
    }
    // The image's copies of what the checks read as such take it from the probe: what was checked ships,
    // and a cache export carries the probe. The zone tree and copyright files, which the probe holds only
    // in part, come from the builder.
    let image = fake.only(Kind::Image);
    assert!(op_names(image).iter().any(|n| n == scratchkit::lower::probe::NAME), "the image does not use the probe");
    let probe = probe_copies(fake.only(Kind::Probe));
    let sources = |stage: &str| -> Vec<(Option<String>, String)> {
        let actions = actions_of(image, stage);
        assert!(!actions.is_empty(), "no op named {stage}");
        actions
            .iter()
            .filter_map(|a| a["copy"].as_str())
            .map(|src| (from_probe(&probe, src), src.to_string()))
            .collect()
    };
    let from_the_probe = |stage: &str| -> Vec<String> {
        sources(stage).into_iter().map(|(p, src)| p.unwrap_or_else(|| panic!("{src} is not from the probe"))).collect()
    };
    assert_eq!(from_the_probe("[internal] stage [app] /out/app"), ["/out/app"]);
    let mut etc = from_the_probe("[internal] stage [rootfs] ca-certificates, services, protocols, mime-types");
    etc.sort();
    assert_eq!(etc, [MIME_TYPES, PROTOCOLS, SERVICES, CA_BUNDLE]);
    assert_eq!(sources("[internal] stage [rootfs] timezones"), [(None, ZONEINFO.to_string())]);
    let metadata = sources("[internal] stage [rootfs] package metadata");
    assert!(metadata.contains(&(
        Some("/etc/os-release".into()),
        metadata.iter().find(|(p, _)| p.is_some()).map(|(_, s)| s.clone()).unwrap_or_default()
    )));
    assert!(
        metadata.iter().any(|(p, src)| p.is_none() && src == "/usr/share/doc/ca-certificates/copyright"),
        "{metadata:?}"
    );
}

#[test]
fn a_name_missing_from_a_held_directory_is_not_looked_for_in_the_builder() {
    // A copy of a directory's contents into /etc: whether it holds passwd, group, ... is asked below the
    // copied directory; the probe's listing of it answers for the builder.
    let spec = format!(
        "{}  - {{from: /out/etc/, to: /etc/}}\nimage:\n  entrypoint: [/out/app]\n",
        fixture("ok/smallest.yaml")
    );
    let mut fake = FakeGateway::modern(&spec).with_file("/out/etc", DIR | 0o755).with_file("/out/etc/app.conf", 0o644);
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!fake.probe_reads.is_empty());
    assert!(!fake.builder_reads.iter().any(|p| p.starts_with("/out/etc")), "{:?}", fake.builder_reads);
    // And one that is there is found, through the probe.
    let mut fake = FakeGateway::modern(&spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.conf", 0o644)
        .with_file("/out/etc/passwd", 0o644);
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains("`/out/etc/passwd` would be copied onto `/etc/passwd`"), "{}", fake.error());
}

#[test]
fn a_dynamic_binary_reads_only_its_libraries_from_the_builder() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!fake.builder_reads.is_empty(), "the library closure is found in the builder");
    let read_app = fake.builder_reads.iter().filter(|p| p.starts_with("/out")).collect::<Vec<_>>();
    assert!(read_app.is_empty(), "the binary was read from the builder, not the probe: {read_app:?}");
    assert!(fake.builder_reads.iter().any(|p| p.contains("libc.so.6")), "{:?}", fake.builder_reads);
}

#[test]
fn a_probe_that_fails_leaves_the_builder_to_be_read_and_the_image_without_it() {
    // Without /var/lib the dpkg reads cannot start: the probe fails, and the build goes on as before it.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file("/var/lib");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert_eq!(fake.definitions(Kind::Probe).len(), 1);
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    let image = fake.only(Kind::Image);
    assert!(
        !op_names(image).iter().any(|n| n == scratchkit::lower::probe::NAME),
        "the image copies from a probe that failed"
    );
}

#[test]
fn a_name_listed_in_a_held_directory_but_not_readable_there_is_looked_for_in_the_builder() {
    // /out/etc/passwd links to the builder's /etc/passwd: the builder resolves it, the probe cannot.
    let spec = format!(
        "{}  - {{from: /out/etc/, to: /etc/}}\nimage:\n  entrypoint: [/out/app]\n",
        fixture("ok/smallest.yaml")
    );
    let mut fake = FakeGateway::modern(&spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.conf", 0o644)
        .with_file("/etc/passwd", 0o644)
        .with_link("/out/etc/passwd", "/etc/passwd");
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains("`/out/etc/passwd` would be copied onto `/etc/passwd`"), "{}", fake.error());
    assert!(fake.builder_reads.iter().any(|p| p == "/out/etc/passwd"), "{:?}", fake.builder_reads);
}

/// A spec that copies `n` files out of `/out/files` (and the entrypoint), and a builder that has them.
fn sibling_copies(n: usize) -> FakeGateway {
    let mut spec =
        "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy:\n  - /out/app\n".to_string();
    spec.extend((0..n).map(|i| format!("  - /out/files/f{i:04}\n")));
    spec.push_str("image:\n  entrypoint: [/out/app]\n");
    (0..n).fold(FakeGateway::modern(&spec).with_file("/out/files", DIR | 0o755), |fake, i| {
        fake.with_file(&format!("/out/files/f{i:04}"), 0o644)
    })
}

/// How many of the probe's copies make BuildKit walk `dir`: a literal copy walks all that is below its
/// source, a pattern all that is below where it starts.
fn walks_of(copies: &[ProbeCopy], dir: &str) -> usize {
    copies.iter().filter(|c| c.from.as_deref().unwrap_or(&c.path) == dir).count()
}

#[test]
fn copies_out_of_one_directory_walk_it_once() {
    let mut sizes = Vec::new();
    for n in [3, 300] {
        let mut fake = sibling_copies(n);
        run_frontend(&mut fake, &[]);
        fake.images();
        let copies = probe_copies(fake.only(Kind::Probe));
        // One walk of the directory however many files are copied out of it (a pattern per file walked it
        // once per file: 1,000 files took 18 s, 3,000 took 89 s).
        assert_eq!(walks_of(&copies, "/out/files"), 1, "{n} copies");
        let files = copies.iter().find(|c| c.path == "/out/files").expect("a copy of /out/files");
        assert_eq!(files.include.len(), n);
        assert!((0..n).all(|i| files.holds(&format!("/out/files/f{i:04}"))));
        sizes.push(copies.len());
        // All read through the probe, and the image's copies of them take them from there.
        assert!(!fake.builder_reads.iter().any(|p| p.starts_with("/out")), "{:?}", fake.builder_reads);
        let image = fake.only(Kind::Image);
        let from_probe: Vec<String> = rendered_ops(image)
            .iter()
            .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| from_probe(&copies, a["copy"].as_str()?))
            .collect();
        assert_eq!(from_probe.iter().filter(|p| p.starts_with("/out/files/")).count(), n, "{from_probe:?}");
    }
    assert_eq!(sizes[0], sizes[1], "the probe has a copy per file");
}

#[test]
fn a_layer_of_many_copies_is_named_by_its_first_eight() {
    let mut fake = sibling_copies(300);
    run_frontend(&mut fake, &[]);
    let names = op_names(fake.only(Kind::Image));
    let app =
        "[app] /out/app /out/files/f0000 /out/files/f0001 /out/files/f0002 /out/files/f0003 /out/files/f0004 /out/files/f0005 /out/files/f0006 and 293 more";
    assert!(
        names.iter().any(|n| n == app),
        "{:?}",
        names.iter().filter(|n| n.contains("[app]")).map(|n| &n[..n.len().min(200)]).collect::<Vec<_>>()
    );
    assert!(names.iter().all(|n| n.len() < 300), "a name grows with the copies");
}

#[test]
fn the_checks_have_at_most_16_gateway_requests_in_flight() {
    // 60 files checked at once, 16 requests at a time, whether the probe has them, lacks them (its listing
    // says so) or holds a link to outside it (then read in the builder).
    let n = 60;
    let missing = (0..n).fold(sibling_copies(n), |fake, i| fake.without_file(&format!("/out/files/f{i:04}")));
    let linked = (0..n).fold(sibling_copies(n).with_file("/opt/data", 0o644), |fake, i| {
        fake.with_link(&format!("/out/files/f{i:04}"), "/opt/data")
    });
    for (what, mut fake) in [("found", sibling_copies(n)), ("missing", missing), ("linked", linked)] {
        run_frontend(&mut fake, &[]);
        assert_eq!(fake.peak_in_flight, 16, "{what}");
    }
}

#[test]
fn a_copied_symlink_is_read_and_copied_from_the_builder() {
    // The probe copies the entries of /out as they are: /out/app, a link to /opt/app, points outside it.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"))
        .with_file("/opt/app", 0o755)
        .with_link("/out/app", "/opt/app");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    let probe = probe_copies(fake.only(Kind::Probe));
    let app = actions_of(fake.only(Kind::Image), "[internal] stage [app] /out/app");
    let sources: Vec<(Option<String>, &str)> =
        app.iter().filter_map(|a| a["copy"].as_str()).map(|src| (from_probe(&probe, src), src)).collect();
    assert_eq!(sources, [(None, "/out/app")], "the image copies the link out of the probe");
}

#[test]
fn a_probe_buildkit_refuses_to_solve_is_dropped_too() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    fake.refuse_probe = true;
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    assert!(!op_names(fake.only(Kind::Image)).iter().any(|n| n == scratchkit::lower::probe::NAME));
}

#[test]
fn buildkit_without_include_patterns_gets_no_probe() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    fake.llb_caps.remove("file.copy.includeexcludepatterns");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.definitions(Kind::Probe).is_empty());
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"));
}

#[test]
fn old_buildkit_without_mergeop_gets_the_pieces_chained() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[ALLOW_OLD]);

    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);
    let image = fake.only(Kind::Image);
    assert!(!has_merge(image), "merge sent to a BuildKit without mergeop: {:#}", render(image));
    let head = head(image).expect("a head op");
    assert!(matches!(head.op, Some(pb::op::Op::File(_))), "head is not a file op: {head:?}");
    assert!(!head.inputs.is_empty(), "the head file op stands on nothing: the pieces are not chained");
    // Same image config as with MergeOp.
    assert_eq!(config(&images[0])["config"]["Entrypoint"], json!(["/out/app"]));
}

/// The build arg that makes the frontend build on a BuildKit without MergeOp.
const ALLOW_OLD: (&str, &str) = ("build-arg:SCRATCHKIT_ALLOW_OLD_BUILDKIT", "true");

#[test]
fn a_buildkit_without_mergeop_is_refused_at_once_naming_the_minimum_version() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    for want in ["BuildKit v0.10 or newer", "Docker Engine 23", "sticky bit", "SCRATCHKIT_ALLOW_OLD_BUILDKIT=true"] {
        assert!(error.contains(want), "no {want:?} in {error}");
    }
    assert!(fake.solved.is_empty(), "something was solved before the refusal: {} solves", fake.solved.len());
}

/// BuildKit v0.8 (Debian 12's docker.io 20.10): no MergeOp and no include/exclude patterns on copies.
#[test]
fn buildkit_0_8_gets_a_chain_that_merges_directories_and_a_zoneinfo_copy_without_excludes() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    fake.llb_caps.remove("file.copy.includeexcludepatterns");
    run_frontend(&mut fake, &[ALLOW_OLD]);
    let image = fake.only(Kind::Image);
    let by_digest: BTreeMap<String, pb::Op> =
        image.def.iter().map(|b| (digest_of(b), pb::Op::decode(b.as_slice()).expect("an Op"))).collect();
    // Walk the chain bottom up: each layer op copies its staged tops onto the layers below.
    let mut chain = Vec::new();
    let mut digest = pb::Op::decode(image.def.last().unwrap().as_slice()).unwrap().inputs[0].digest.clone();
    while let Some(pb::op::Op::File(file)) = &by_digest[&digest].op {
        chain.push(file.clone());
        match by_digest[&digest].inputs.first() {
            Some(below) if by_digest[&digest].inputs.len() > 1 => digest = below.digest.clone(),
            _ => break,
        }
    }
    chain.reverse();
    let mut present = BTreeSet::new();
    let mut merged_into_existing = 0;
    for file in &chain {
        for action in &file.actions {
            let Some(pb::file_action::Action::Copy(copy)) = &action.action else { continue };
            assert!(copy.exclude_patterns.is_empty(), "exclude patterns sent to a BuildKit without the cap: {copy:?}");
            // A top already laid down is merged into (its contents copied), a new one copied whole.
            assert_eq!(copy.dir_copy_contents, present.contains(&copy.dest), "{} onto {present:?}", copy.dest);
            merged_into_existing += usize::from(copy.dir_copy_contents);
        }
        present.extend(file.actions.iter().filter_map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => Some(c.dest.clone()),
            _ => None,
        }));
    }
    let dests: Vec<Vec<(String, bool)>> = chain
        .iter()
        .map(|f| {
            f.actions
                .iter()
                .filter_map(|a| match &a.action {
                    Some(pb::file_action::Action::Copy(c)) => Some((c.dest.clone(), c.dir_copy_contents)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    assert!(merged_into_existing >= 1, "the users and the certificates layers both hold /etc: {dests:?}");
    let warned = fake.warnings.iter().any(|w| w.message.contains("cannot leave files out of a copy"));
    assert!(warned, "no warning that zoneinfo keeps right/: {:?}", fake.warnings);
}

#[test]
fn with_and_without_mergeop_the_image_has_the_same_layers() {
    let spec = fixture("ok/smallest.yaml");
    let (mut modern, mut old) =
        (fake_with_dynamic_app(FakeGateway::modern(&spec)), fake_with_dynamic_app(FakeGateway::old_buildkit(&spec)));
    run_frontend(&mut modern, &[]);
    run_frontend(&mut old, &[ALLOW_OLD]);
    let (merged, chained) = (layer_names(modern.only(Kind::Image)), layer_names(old.only(Kind::Image)));
    assert_eq!(merged, chained, "the chain lost or reordered a layer");
    for layer in [
        "[rootfs] users, home, tmp, nsswitch",
        "[rootfs] ca-certificates, services, protocols, mime-types",
        "[rootfs] timezones",
        "[rootfs] libraries",
        "[app] /out/app",
    ] {
        assert!(merged.iter().any(|n| n == layer), "no `{layer}` layer in {merged:?}");
    }
    assert_eq!(merged.last().map(String::as_str), Some("[app] /out/app"), "the app is not the top layer: {merged:?}");
}

#[test]
fn a_real_dynamic_binary_gets_its_loader_and_libc_in_the_libraries_layer() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    let copies: Vec<String> = rendered_ops(image)
        .iter()
        .filter(|op| op["name"].as_str() == Some("[internal] stage [rootfs] libraries"))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .filter_map(|action| action["copy"].as_str().map(str::to_string))
        .collect();
    for wanted in [LOADER, LIBC] {
        assert!(copies.iter().any(|c| c == wanted), "{wanted} is not copied into the libraries layer: {copies:?}");
    }
}

/// The builder paths the `[rootfs] libraries` layer copies.
fn library_copies(image: &pb::Definition) -> Vec<String> {
    rendered_ops(image)
        .iter()
        .filter(|op| op["name"].as_str() == Some("[internal] stage [rootfs] libraries"))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .filter_map(|action| action["copy"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_dynamic_binary_inside_a_copied_directory_gets_its_loader_and_libc() {
    let spec = "builder:\n  image: golang:1.23\n  run: make\ncopy:\n  - {from: /out/tree, to: /opt/app}\nimage:\n  entrypoint: [/opt/app/bin/app]\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    let mut fake = FakeGateway::modern(spec)
        .with_file("/out/tree", DIR | 0o755)
        .with_file("/out/tree/bin", DIR | 0o755)
        .with_bytes("/out/tree/bin/app", 0o755, compiled_c_program())
        .with_bytes(
            "/out/tree/README",
            0o644,
            b"not a program, and long enough to be looked at: only its first bytes are read".to_vec(),
        )
        .with_bytes(LOADER, 0o755, host(LOADER))
        .with_bytes(LIBC, 0o755, host(LIBC));
    run_frontend(&mut fake, &[]);
    fake.images();
    let copies = library_copies(fake.only(Kind::Image));
    for wanted in [LOADER, LIBC] {
        assert!(copies.iter().any(|c| c == wanted), "{wanted} is not copied into the libraries layer: {copies:?}");
    }
}

#[test]
fn a_dynamic_binary_from_the_context_without_a_builder_is_a_located_error() {
    let spec = "copy:\n  - hello\n";
    let mut fake = FakeGateway::modern(spec).with_context_file("/hello", compiled_c_program());
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    for want in [
        "scratch.yaml:2:5",
        "`context:hello` is dynamically linked: it needs /lib64/ld-linux-x86-64.so.2 and libc.so.6",
        "without a `builder`",
        "no `run` needed",
    ] {
        assert!(error.contains(want), "no `{want}` in:\n{error}");
    }
    assert!(fake.definitions(Kind::Image).is_empty(), "no image is solved");
    // A static file (here a script) from the context needs nothing.
    let mut fake = FakeGateway::modern(spec)
        .with_context_file("/hello", b"#!/bin/sh\necho hi, as a long enough script to be looked at\n".to_vec());
    run_frontend(&mut fake, &[]);
    fake.images();
}

#[test]
fn a_dynamic_binary_from_a_named_context_without_a_builder_is_a_located_error() {
    let mut fake = FakeGateway::modern("copy:\n  - {from: \"context:web:bin/hello\", to: /hello}\n")
        .with_context_file("/bin/hello", compiled_c_program());
    run_frontend(&mut fake, &[("context:web", "local:web")]);
    let error = fake.error();
    assert!(reports(error, SK317, "`context:web:bin/hello`") && error.contains("scratch.yaml:2:5"), "{error}");
}

#[test]
fn a_dynamic_binary_from_the_context_gets_its_libraries_from_the_builder_image() {
    // A builder with no `run`: its image only provides the libraries.
    let spec = "builder:\n  image: golang:1.23\ncopy:\n  - {from: \"context:hello\", to: /usr/local/bin/hello}\nimage:\n  entrypoint: [/usr/local/bin/hello]\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    let mut fake = FakeGateway::modern(spec)
        .with_context_file("/hello", compiled_c_program())
        .with_bytes(LOADER, 0o755, host(LOADER))
        .with_bytes(LIBC, 0o755, host(LIBC));
    run_frontend(&mut fake, &[]);
    fake.images();
    let copies = library_copies(fake.only(Kind::Image));
    for wanted in [LOADER, LIBC] {
        assert!(copies.iter().any(|c| c == wanted), "{wanted} is not copied into the libraries layer: {copies:?}");
    }
    // The builder without them: the error names the context's file, at its copy entry.
    let mut fake = FakeGateway::modern(spec).with_context_file("/hello", compiled_c_program()).with_bytes(
        LOADER,
        0o755,
        host(LOADER),
    );
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(
        reports(error, SK313, "`context:hello` needs `libc.so.6`") && error.contains("scratch.yaml:4:5"),
        "{error}"
    );
}

#[test]
fn a_static_script_gets_no_libraries_layer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("libraries")));
}

#[test]
fn a_binary_for_another_machine_fails_the_build_before_the_image() {
    let mut elf = compiled_c_program();
    // e_machine (offset 18, little endian): 183 is AArch64.
    elf[18..20].copy_from_slice(&183u16.to_le_bytes());
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_bytes("/out/app", 0o755, elf);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(reports(error, SK330, "linux/amd64"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn a_library_missing_from_the_builder_is_named() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml"))).without_file(LIBC);
    fake.builder_bytes.remove(LIBC);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(reports(error, SK313, "`libc.so.6`"), "{error}");
}

#[test]
fn cache_from_reaches_every_builder_and_image_solve_of_every_platform() {
    let imports =
        r#"[{"Type":"registry","Attrs":{"ref":"127.0.0.1:5000/cache:app"}},{"Type":"local","Attrs":{"src":"/tmp/c"}}]"#;
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", imports), ("platform", "linux/amd64,linux/arm64")]);
    assert_eq!(fake.images().0.len(), 2);
    let builds: Vec<&Solved> = fake.solved.iter().filter(|s| matches!(s.kind, Kind::Builder | Kind::Image)).collect();
    assert_eq!(builds.len(), 4, "a builder and an image solve per platform");
    for solved in builds {
        let got: Vec<(&str, &str)> = solved
            .cache_imports
            .iter()
            .map(|c| (c.kind.as_str(), c.attrs.values().next().map_or("", String::as_str)))
            .collect();
        assert_eq!(got, [("registry", "127.0.0.1:5000/cache:app"), ("local", "/tmp/c")], "{:?} solve", solved.kind);
    }
}

#[test]
fn legacy_cache_from_refs_are_registry_imports() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-from", "127.0.0.1:5000/cache:app")]);
    let builder = fake.solved.iter().find(|s| s.kind == Kind::Builder).expect("a builder solve");
    assert_eq!(
        builder.cache_imports,
        [CacheImport {
            kind: "registry".into(),
            attrs: [("ref".to_string(), "127.0.0.1:5000/cache:app".to_string())].into()
        }]
    );
}

#[test]
fn without_cache_from_no_solve_imports_a_cache() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    assert!(fake.solved.iter().all(|s| s.cache_imports.is_empty()));
}

#[test]
fn a_malformed_cache_imports_option_is_an_error_not_ignored() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", "{not json")]);
    assert!(fake.error().contains("cache-imports"), "{}", fake.error());
}

/// The options are read once, before anything is solved: a resolve mode BuildKit has not is refused with
/// the modes it has (it was passed on to BuildKit as given).
#[test]
fn an_unknown_image_resolve_mode_is_refused_before_any_solve() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("image-resolve-mode", "always")]);
    assert!(
        fake.error().contains("image-resolve-mode `always` is not a resolve mode: use default, pull or local"),
        "{}",
        fake.error()
    );
    assert!(fake.solved.is_empty(), "{} solves", fake.solved.len());
}

/// `local-sessionid:context` names the session that serves the build context, as BuildKit's dockerui
/// reads it for every local (it was read for named contexts only).
#[test]
fn the_build_context_is_read_through_its_own_session() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("local-sessionid:context", "session-2")]);
    fake.images();
    let contexts: Vec<pb::SourceOp> =
        fake.solved.iter().flat_map(|s| sources(&s.def)).filter(|s| s.identifier == "local://context").collect();
    assert!(!contexts.is_empty());
    assert!(
        contexts.iter().all(|s| s.attrs.get("local.session").map(String::as_str) == Some("session-2")),
        "{contexts:#?}"
    );
}

/// A 200 KB option is quoted cut, as diagnostics are: its start, `…`, and its size (it was echoed whole,
/// and serde's reason quoted the value a second time).
#[test]
fn a_huge_bad_cache_imports_option_is_quoted_cut() {
    // A list of one string: serde's reason quotes the string too.
    let option = format!("[\"{}\\u001b\"]", "x".repeat(200_000));
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", &option)]);
    let error = fake.error();
    assert!(error.starts_with("cannot read the cache-imports option `[\"xxx"), "{error}");
    assert!(error.len() < 1000, "{} bytes: {}…", error.len(), &error[..200]);
    assert!(error.contains("…` (200010 bytes): invalid type: string \"xxx"), "{error}");
}

#[test]
fn label_flags_reach_the_image_config_and_win_over_the_spec() {
    let spec = format!("{}image:\n  labels: {{team: spec, keep: spec}}\n", fixture("ok/smallest.yaml"));
    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("label:team", "infra"), ("label:org.example.cost", "42")]);
    let labels = &config(&fake.images().0[0])["config"]["Labels"];
    assert_eq!(labels, &json!({ "team": "infra", "keep": "spec", "org.example.cost": "42" }));
}

/// The spec lines the source map gives the op named `name`.
fn source_lines(def: &pb::Definition, name: &str) -> Vec<(i32, i32)> {
    let source = def.source.as_ref().expect("a source map");
    let digest = def
        .def
        .iter()
        .map(|b| digest_of(b))
        .find(|d| name_of(def, d) == name)
        .unwrap_or_else(|| panic!("no op named {name}"));
    source.locations.get(&digest).map_or_else(Vec::new, |l| {
        l.locations
            .iter()
            .flat_map(|loc| {
                loc.ranges.iter().map(|r| (r.start.unwrap_or_default().line, r.end.unwrap_or_default().line))
            })
            .collect()
    })
}

#[test]
fn ops_point_back_at_their_spec_lines() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let builder = fake.only(Kind::Builder);
    let source = builder.source.as_ref().expect("the builder Definition has a source map");
    assert_eq!(source.infos.len(), 1);
    assert_eq!((source.infos[0].filename.as_str(), source.infos[0].language.as_str()), ("scratch.yaml", "yaml"));
    assert_eq!(source.infos[0].data, fixture("ok/smallest.yaml").into_bytes());
    // smallest.yaml: line 3 `image: golang:1.23`, line 4 `run: …`, line 6 `- /out/app`.
    assert_eq!(source_lines(builder, "[builder] FROM golang:1.23"), [(3, 3)]);
    assert_eq!(source_lines(builder, "[builder] RUN CGO_ENABLED=0 go build -o /out/app ."), [(4, 4)]);
    assert_eq!(source_lines(fake.only(Kind::Image), "[app] /out/app"), [(6, 6)]);
}

#[test]
fn rootfs_layers_point_back_at_their_keys() {
    let spec = fixture("ok/smallest.yaml")
        + "rootfs:\n  users: [{name: app, uid: 10001}]\n  groups: [{name: data, gid: 2000}]\n  tmp: true\n  ca-certificates: true\n  \
           dirs:\n    - {path: /data, owner: app}\n  files:\n    - {path: /etc/motd, content: hi}\n";
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&spec));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    // users (8) and groups (9) make the accounts, users the home, then tmp (10); nsswitch is a default.
    // Lines next to each other are one range (a copy list of thousands of lines is one, not thousands).
    let accounts = "[rootfs] users, home, tmp, nsswitch";
    assert_eq!(source_lines(image, accounts), [(8, 10)]);
    assert_eq!(
        source_lines(image, &format!("[internal] stage {accounts}")),
        source_lines(image, accounts),
        "the staging op too"
    );
    // ca-certificates (11); services, protocols and mime types are defaults the spec does not write.
    assert_eq!(source_lines(image, "[rootfs] ca-certificates, services, protocols, mime-types"), [(11, 11)]);
    assert_eq!(source_lines(image, "[rootfs] dirs, files"), [(13, 13), (15, 15)]);
    // Neither key is written: the libraries and the package metadata are shown at the copy they serve.
    assert_eq!(source_lines(image, "[rootfs] libraries"), [(6, 6)]);
    assert_eq!(source_lines(image, "[rootfs] timezones"), []);
}

#[test]
fn bad_spec_returns_its_rendered_error() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[("filename", "scratch.yaml")]);

    let error = fake.error();
    assert!(error.contains("scratch.yaml:1:1"), "{error}");
    assert!(error.contains("did you mean `builder`"), "{error}");
    // Nothing but the spec and (read alongside it) the .dockerignore was solved: no builder.
    let mut kinds: Vec<Kind> = fake.solved.iter().map(|s| s.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(kinds, [Kind::DockerIgnore, Kind::Spec]);
    assert!(fake.resolved.is_empty());
}

#[test]
fn dash_f_reads_the_named_file_from_the_dockerfile_local() {
    // `docker buildx build -f sub/dir/x.yaml` sends the base name and the local key.
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml")).named("x.yaml");
    run_frontend(&mut fake, &[("filename", "x.yaml"), ("dockerfilekey", "dockerfile")]);

    let spec = sources(fake.only(Kind::Spec)).remove(0);
    assert_eq!(spec.identifier, "local://dockerfile");
    let follow: Value = serde_json::from_str(&spec.attrs["local.followpaths"]).unwrap();
    assert_eq!(follow, json!(["x.yaml"]));
    assert_eq!(spec.attrs.get("local.session").map(String::as_str), Some("session-1"));

    let error = fake.error();
    assert!(error.contains("x.yaml:1:1"), "{error}");
    assert!(!error.contains("scratch.yaml"), "{error}");
}

#[test]
fn build_args_reach_the_builder_run() {
    let mut fake = FakeGateway::modern(&fixture("ok/build-args.yaml")).with_file("/out/app-bonjour", 0o755);
    run_frontend(&mut fake, &[("build-arg:GREETING", "bonjour")]);

    let (images, _) = fake.images();
    let (_, meta) = the_exec(fake.only(Kind::Builder));
    // As with ARG in a Dockerfile: the value is in the environment and the script is as written, so the
    // shell expands it and never parses it.
    let script = meta.args.join(" ");
    assert!(script.contains("main.greeting=${GREETING}"), "{script}");
    assert!(script.contains("-o /out/app-${GREETING}"), "{script}");
    assert!(meta.env.contains(&"GREETING=bonjour".to_string()), "{:?}", meta.env);
    assert!(
        !meta.env.iter().chain(&meta.args).any(|s| s.contains("hello")),
        "the default leaked: {script} {:?}",
        meta.env
    );
    assert_eq!(config(&images[0])["config"]["Labels"]["greeting"], "bonjour");
}

#[test]
fn missing_builder_output_points_at_its_copy_entry() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file("/out/app");
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(reports(error, SK327, "`/out/app`"), "{error}");
    // smallest.yaml line 6: `  - /out/app`.
    assert!(error.contains("scratch.yaml:6:5"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn missing_ca_bundle_names_the_package_to_install() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file(CA_BUNDLE);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(reports(error, SK333, CA_BUNDLE), "{error}");
    assert!(error.contains("apt-get install ca-certificates"), "{error}");
    // smallest.yaml line 3: `  image: golang:1.23`, the value.
    assert!(error.contains("scratch.yaml:3:10"), "{error}");
}

/// A copy of a directory's contents into `/etc/` is legal at check time; what the directory holds is only
/// known after `run`. A `passwd` or `nsswitch.conf` among it would replace the rootfs's files unseen.
#[test]
fn a_copied_directory_holding_passwd_or_nsswitch_is_refused_after_the_build() {
    let spec = "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy:\n  - /out/app\n  - {from: /out/etc/, to: /etc/}\n";
    let mut fake = FakeGateway::modern(spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.toml", 0o644)
        .with_file("/out/etc/passwd", 0o644)
        .with_file("/out/etc/nsswitch.conf", 0o644);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(
        error.contains(
            "`/out/etc/passwd` would be copied onto `/etc/passwd`, which `rootfs.users` and `rootfs.groups` writes"
        ),
        "{error}"
    );
    assert!(
        error.contains(
            "`/out/etc/nsswitch.conf` would be copied onto `/etc/nsswitch.conf`, which `rootfs.nsswitch` writes"
        ),
        "{error}"
    );
    assert!(error.contains("set `rootfs.nsswitch: false` to ship your own"), "{error}");
    // The copy entry's line: `  - {from: /out/etc/, to: /etc/}`.
    assert!(error.contains("scratch.yaml:7:5"), "{error}");
    assert!(!error.contains("app.toml"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");

    // Without those two files, the same spec builds, and the contents land in /etc.
    let mut fake = FakeGateway::modern(spec).with_file("/out/etc", DIR | 0o755).with_file("/out/etc/app.toml", 0o644);
    run_frontend(&mut fake, &[]);
    assert_eq!(fake.images().0.len(), 1);
}

/// Every path the image's file ops copy to.
fn copy_destinations(def: &pb::Definition) -> Vec<String> {
    rendered_ops(def)
        .iter()
        .filter_map(|op| op["file"].as_array())
        .flatten()
        .filter_map(|a| a["dest"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_builder_without_netbase_or_media_types_warns_and_the_image_goes_without_them() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"))
        .without_file(SERVICES)
        .without_file(PROTOCOLS)
        .without_file(MIME_TYPES);
    run_frontend(&mut fake, &[]);

    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);
    // One warning per package, at the builder image (smallest.yaml line 3, the value), naming what to install.
    let warnings: Vec<(String, String, usize, usize)> = fake
        .warnings
        .iter()
        .map(|w| (w.message.clone(), w.hint.clone().unwrap_or_default(), w.line, w.column))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert_eq!(
        warnings[0].0,
        "the builder image has no `/etc/services` or `/etc/protocols`, so the image is built without them"
    );
    assert!(
        warnings[0].1.contains("apt-get install netbase") && warnings[0].1.contains("`rootfs.services: false`"),
        "{warnings:#?}"
    );
    assert_eq!(warnings[1].0, "the builder image has no `/etc/mime.types`, so the image is built without it");
    assert!(warnings[1].1.contains("apt-get install media-types"), "{warnings:#?}");
    assert!(warnings.iter().all(|w| (w.2, w.3) == (3, 10)), "{warnings:#?}");
    // The pieces are left out; the CA bundle still comes in its layer.
    let dests = copy_destinations(fake.only(Kind::Image));
    for gone in [SERVICES, PROTOCOLS, MIME_TYPES] {
        assert!(!dests.iter().any(|d| d == gone), "{gone} is still copied: {dests:?}");
    }
    assert!(dests.iter().any(|d| d == CA_BUNDLE), "{dests:?}");
    assert!(
        rendered_ops(fake.only(Kind::Image)).iter().any(|op| op["name"] == "[rootfs] ca-certificates"),
        "the layer is not named for what it holds"
    );
}

#[test]
fn with_netbase_and_media_types_the_files_share_the_ca_bundle_layer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    fake.images();
    let dests = copy_destinations(fake.only(Kind::Image));
    for want in [SERVICES, PROTOCOLS, MIME_TYPES] {
        assert!(dests.iter().any(|d| d == want), "{want} is not copied: {dests:?}");
    }
    let names: Vec<String> =
        rendered_ops(fake.only(Kind::Image)).iter().filter_map(|op| op["name"].as_str().map(str::to_string)).collect();
    assert!(names.iter().any(|n| n == "[rootfs] ca-certificates, services, protocols, mime-types"), "{names:#?}");
}

#[test]
fn a_data_file_the_spec_asks_for_must_be_in_the_builder() {
    // data-files.yaml asks for `services: true` (line 9), switches protocols off, leaves mime-types default.
    let mut fake = FakeGateway::modern(&fixture("ok/data-files.yaml")).without_file(SERVICES).without_file(MIME_TYPES);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(
        error.contains("error[SK336]: `rootfs.services: true`, but the builder image has no `/etc/services`"),
        "{error}"
    );
    assert!(error.contains("scratch.yaml:9:13"), "{error}");
    assert!(error.contains("apt-get install netbase"), "{error}");
    // The optional file is only a warning, shown with the error.
    assert!(error.contains("warning[SK338]: the builder image has no `/etc/mime.types`"), "{error}");
    assert!(error.contains("1 error and 1 warning found"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn entrypoint_without_execute_bit_hints_at_mode() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_file("/out/app", 0o644);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("entrypoint `/out/app` is not executable (mode 0644)"), "{error}");
    assert!(error.contains(r#"mode: "0755""#), "{error}");
}

/// With `cmd` and no entrypoint, `cmd[0]` is the program: the build-time error names it and points at it.
#[test]
fn cmd_program_without_execute_bit_is_named_cmd() {
    let spec = "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy: [/out/app, /out/tool]\nimage:\n  cmd: [/out/tool, --serve]\n";
    let mut fake = FakeGateway::modern(spec).with_file("/out/tool", 0o644);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("cmd[0] `/out/tool` is not executable (mode 0644)"), "{error}");
    // Line 7, `  cmd: [/out/tool, --serve]`: the first item.
    assert!(error.contains("scratch.yaml:7:9"), "{error}");
}

#[test]
fn independent_requests_are_in_flight_together() {
    // The spec and .dockerignore are read together, and so are the checks of the builder's output
    // (/out/app, the CA bundle, the zone database): each request is a round trip to BuildKit.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.peak_in_flight >= 3, "at most {} requests were in flight at once", fake.peak_in_flight);
}

#[test]
fn build_failure_is_returned_as_is() {
    let failure =
        r#"process "/bin/sh -c CGO_ENABLED=0 go build -o /out/app ." did not complete successfully: exit code: 1"#;
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).failing_build(failure);
    run_frontend(&mut fake, &[]);

    assert_eq!(fake.error(), failure);
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved after the build failed");
}

#[test]
fn build_failure_details_are_passed_back_unchanged() {
    // What BuildKit attaches to a failed exec: typed details buildx renders (the step, its source lines).
    let details = vec![
        prost_types::Any {
            type_url: "github.com/moby/buildkit/solver/errdefs.Source".into(),
            value: vec![10, 3, 1, 2, 3],
        },
        prost_types::Any { type_url: "github.com/moby/buildkit/solver/pb.ExitStatus".into(), value: vec![8, 1] },
    ];
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).failing_build("exit code: 1");
    fake.build_failure_details = details.clone();
    run_frontend(&mut fake, &[]);
    assert_eq!(fake.error(), "exit code: 1");
    assert_eq!(fake.returned_details, details);
}

#[test]
fn a_spec_error_carries_no_buildkit_details() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[]);
    fake.error();
    assert!(fake.returned_details.is_empty());
}

/// A spec over the item limit (here 1 MiB of `copy: [a,a,…]`, 524,000 items) is refused by every entry
/// point before the parser builds its tree: a build, `--call check` and `--call outline` (which parsed it
/// whole: 227 MB).
#[test]
fn every_entry_point_refuses_a_spec_over_the_item_limit() {
    let head = "args: {VERSION: dev}\nbuilder: {image: golang:1.23, run: make}\ncopy: [";
    let items = (scratchkit::compile::MAX_SPEC_BYTES - head.len() - 2) / 2;
    let spec = format!("{head}{}]\n", vec!["a"; items].join(","));
    assert!(spec.len() <= scratchkit::compile::MAX_SPEC_BYTES);
    let refused = "the spec has more than 100000 keys and list items";

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains(refused), "build: {}", fake.error());

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("requestid", "frontend.lint")]);
    let txt = String::from_utf8_lossy(&fake.metadata()["result.txt"]).into_owned();
    assert!(txt.contains(refused), "check: {txt}");

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);
    let txt = String::from_utf8_lossy(&fake.metadata()["result.txt"]).into_owned();
    assert!(txt.starts_with(refused) && txt.ends_with("; run --call check\n"), "outline: {txt}");
    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!(outline, json!({ "name": "default", "description": TARGETS_DEFAULT }), "no args read from the spec");
}

const TARGETS_DEFAULT: &str = "the FROM-scratch image, without a shell";

#[test]
fn unknown_subrequest_is_refused_in_words_buildx_understands() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.compose")]);

    assert_eq!(fake.error(), "unsupported request frontend.compose");
    assert!(fake.solved.is_empty(), "a refused request solved something");
}

#[test]
fn outline_subrequest_lists_the_build_args() {
    let mut fake = FakeGateway::modern(&fixture("ok/build-args.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);

    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!((&outline["args"][0]["name"], &outline["args"][0]["value"]), (&json!("GREETING"), &json!("hello")));
    assert!(fake.definitions(Kind::Builder).is_empty(), "a subrequest ran the build");
}

#[test]
fn lint_subrequest_on_a_bad_spec_reports_status_one() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.lint")]);

    let md = fake.metadata();
    assert_eq!(text(&md["result.statuscode"]), "1");
    let txt = text(&md["result.txt"]);
    assert!(txt.contains("scratch.yaml:1:1") && txt.contains("did you mean `builder`"), "{txt}");
    let json: Value = serde_json::from_slice(&md["result.json"]).unwrap();
    // The rule is the code of an unknown key, with what it means and where it is explained.
    let rule = scratchkit::rules::codes::SK113;
    assert_eq!(json["warnings"][0]["ruleName"], rule.code);
    assert_eq!(json["warnings"][0]["description"], rule.summary);
    assert_eq!(json["warnings"][0]["url"], rule.url());
    // The spec's text, which buildx echoes under each finding.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .decode(json["sources"][0]["data"].as_str().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&data), fixture("bad/unknown-key.yaml"));
}

#[test]
fn two_platforms_return_two_images_built_on_the_build_platform() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("platform", "linux/amd64,linux/arm64")]);

    let (images, multi_platform) = fake.images();
    assert!(multi_platform);
    let archs: Vec<&str> = images.iter().map(|b| b.platform.architecture.as_str()).collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    let config_archs: Vec<Value> = images.iter().map(|b| config(b)["architecture"].clone()).collect();
    assert_eq!(config_archs, [json!("amd64"), json!("arm64")]);
    assert_ne!(images[0].ref_id, images[1].ref_id);

    let builders = fake.definitions(Kind::Builder);
    assert_eq!(builders.len(), 2);
    let (platform, meta) = the_exec(builders[1]);
    assert_eq!(platform_name(&platform), "linux/amd64", "the arm64 builder must run on the build platform");
    assert!(meta.env.contains(&"TARGETARCH=arm64".to_string()), "{:?}", meta.env);
    assert!(meta.env.contains(&"BUILDARCH=amd64".to_string()), "{:?}", meta.env);
    // Both builders resolve the image for the build platform.
    assert!(fake.resolved.iter().all(|(_, p)| *p == Platform::linux_amd64()), "{:?}", fake.resolved);
}

#[test]
fn no_cache_marks_every_op_of_the_image() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("no-cache", "")]);

    for def in [fake.only(Kind::Builder), fake.only(Kind::Image)] {
        let ops = rendered_ops(def);
        let (terminal, vertices) = ops.split_last().unwrap();
        assert_eq!(terminal["terminal"], true);
        for op in vertices {
            assert_eq!(op["ignore_cache"], true, "op without ignore_cache: {op:#}");
        }
    }
    // The spec and .dockerignore loads stay cached.
    assert!(rendered_ops(fake.only(Kind::Spec)).iter().all(|op| op.get("ignore_cache").is_none()));
}

#[test]
fn without_no_cache_nothing_ignores_the_cache() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    assert!(rendered_ops(fake.only(Kind::Image)).iter().all(|op| op.get("ignore_cache").is_none()));
}

#[test]
fn dockerignore_patterns_exclude_files_from_the_context() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_dockerignore("# secrets\nsecret.txt\n");
    run_frontend(&mut fake, &[]);

    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier == "local://context")
        .expect("a context local");
    let excludes: Value = serde_json::from_str(&context.attrs["local.excludepatterns"]).unwrap();
    assert_eq!(excludes, json!(["secret.txt"]));
    assert_eq!(context.attrs.get("local.session").map(String::as_str), Some("session-1"));
}

#[test]
fn without_dockerignore_the_context_has_no_excludes() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier == "local://context")
        .expect("a context local");
    assert!(!context.attrs.contains_key("local.excludepatterns"), "{:?}", context.attrs);
}

#[test]
fn contextkey_names_one_local_for_dockerignore_and_context() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_dockerignore("secret.txt\n");
    run_frontend(&mut fake, &[("contextkey", "ctx")]);

    let ignore = sources(fake.only(Kind::DockerIgnore)).remove(0).identifier;
    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier.starts_with("local://"))
        .expect("a context local");
    assert_eq!(ignore, context.identifier, ".dockerignore and the context it filters come from different locals");
}

#[test]
#[should_panic(expected = "the frontend returned twice")]
fn the_fake_refuses_a_second_answer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let _ = fake.return_error("again".into(), Vec::new());
}

/// A small dpkg database in the builder: on a merged-/usr system (`/lib` and `/usr/lib` list the same),
/// libc6 lists its libc under `/usr/lib` while the closure finds it under `/lib`; ca-certificates lists
/// only directories (its bundle is generated); tzdata has a `right/` zone that is not copied; gcc owns
/// nothing the image takes; an old package is removed but left its configuration.
fn with_dpkg(fake: FakeGateway) -> FakeGateway {
    let info = |name: &str| format!("/var/lib/dpkg/info/{name}");
    let status = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n\n\
Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4:12.2.0-3\n\n\
Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311+deb12u1\n\n\
Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2026b-0+deb12u1\n\n\
Package: netbase\nStatus: install ok installed\nArchitecture: all\nVersion: 6.4\n\n\
Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u12\n\n\
Package: oldpkg\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    fake_with_dynamic_app(fake)
        .with_bytes(&format!("/usr{LIBC}"), 0o755, host(LIBC))
        .with_bytes(&info("libc6:amd64.list"), 0o644, b"/.\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu/libm.so.6\n/lib64/ld-linux-x86-64.so.2\n/usr/share/doc/libc6/copyright\n".to_vec())
        .with_bytes(&info("libc6:amd64.md5sums"), 0o644, b"11111111111111111111111111111111  usr/lib/x86_64-linux-gnu/libc.so.6\n22222222222222222222222222222222  usr/lib/x86_64-linux-gnu/libm.so.6\n33333333333333333333333333333333  usr/share/doc/libc6/copyright\n".to_vec())
        .with_bytes(&info("libc6:amd64.postinst"), 0o755, b"#!/bin/sh\n".to_vec())
        .with_bytes(&info("gcc.list"), 0o644, b"/usr/bin/gcc\n".to_vec())
        .with_bytes(&info("ca-certificates.list"), 0o644, b"/etc/ssl\n/etc/ssl/certs\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt\n".to_vec())
        .with_bytes(&info("tzdata.list"), 0o644, b"/usr/share/zoneinfo\n/usr/share/zoneinfo/Europe/Amsterdam\n/usr/share/zoneinfo/right/UTC\n".to_vec())
        .with_bytes(&info("tzdata.md5sums"), 0o644, b"44444444444444444444444444444444  usr/share/zoneinfo/Europe/Amsterdam\n55555555555555555555555555555555  usr/share/zoneinfo/right/UTC\n".to_vec())
        .with_bytes(&info("netbase.list"), 0o644, b"/etc/services\n/etc/protocols\n".to_vec())
        .with_bytes(&info("base-files.list"), 0o644, b"/etc/os-release\n/usr/lib/os-release\n".to_vec())
        .with_bytes(&info("oldpkg.list"), 0o644, b"/etc/services\n".to_vec())
        .with_bytes("/var/lib/dpkg/status", 0o644, status.as_bytes().to_vec())
        .with_bytes("/usr/lib/os-release", 0o644, b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n".to_vec())
        // The fake has no symlinks: `/lib` shows what `/usr/lib` has, as the merged-/usr symlink would.
        .with_file("/lib/os-release", 0o644)
        .with_file("/usr/share/doc/libc6/copyright", 0o644)
        .with_file("/usr/share/doc/tzdata/copyright", 0o644)
}

/// The file actions of the op named `name`.
fn actions_of(def: &pb::Definition, name: &str) -> Vec<Value> {
    rendered_ops(def)
        .iter()
        .filter(|op| op["name"].as_str() == Some(name))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn the_owning_packages_of_copied_builder_files_get_dpkg_metadata_in_one_layer() {
    let mut fake = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    let layers = layer_names(image);
    assert_eq!(layers.iter().filter(|n| *n == "[rootfs] package metadata").count(), 1, "{layers:#?}");
    assert_eq!(layers.last().map(String::as_str), Some("[app] /out/app"), "{layers:#?}");

    let staged = actions_of(image, "[internal] stage [rootfs] package metadata");
    let files: BTreeMap<String, String> = staged
        .iter()
        .filter_map(|a| Some((a["mkfile"].as_str()?.to_string(), a["data"].as_str()?.to_string())))
        .collect();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "/var/lib/dpkg/status.d/base-files",
            "/var/lib/dpkg/status.d/ca-certificates",
            "/var/lib/dpkg/status.d/libc6",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/var/lib/dpkg/status.d/netbase",
            "/var/lib/dpkg/status.d/tzdata",
            "/var/lib/dpkg/status.d/tzdata.md5sums",
        ],
        "gcc owns nothing copied, oldpkg is not installed"
    );
    // The stanza as is, continuation lines included; md5sums of the copied files only.
    assert_eq!(
        files["/var/lib/dpkg/status.d/libc6"],
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n"
    );
    assert_eq!(
        files["/var/lib/dpkg/status.d/libc6.md5sums"],
        "11111111111111111111111111111111  usr/lib/x86_64-linux-gnu/libc.so.6\n33333333333333333333333333333333  usr/share/doc/libc6/copyright\n"
    );
    assert_eq!(
        files["/var/lib/dpkg/status.d/tzdata.md5sums"],
        "44444444444444444444444444444444  usr/share/zoneinfo/Europe/Amsterdam\n"
    );
    assert!(files["/var/lib/dpkg/status.d/ca-certificates"].contains("Version: 20230311+deb12u1\n"));
    assert!(staged.iter().filter(|a| a.get("mkfile").is_some()).all(|a| a["mode"] == "0644"), "{staged:#?}");

    // Copied from the builder itself: os-release (found at /usr/lib, which the probe does not hold) and the
    // copyright files it has (the probe cannot vouch for a missing one).
    let probe = probe_copies(fake.only(Kind::Probe));
    let copies: BTreeMap<String, String> = staged
        .iter()
        .filter_map(|a| {
            let src = a["copy"].as_str()?;
            assert_eq!(from_probe(&probe, src), None, "{src} is copied from the probe");
            Some((a["dest"].as_str()?.to_string(), src.to_string()))
        })
        .collect();
    let expected: BTreeMap<String, String> = [
        ("/etc/os-release", "/usr/lib/os-release"),
        ("/usr/share/doc/libc6/copyright", "/usr/share/doc/libc6/copyright"),
        ("/usr/share/doc/tzdata/copyright", "/usr/share/doc/tzdata/copyright"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(copies, expected);
}

#[test]
fn package_metadata_false_or_a_builder_without_dpkg_gives_no_metadata_layer() {
    let spec = format!("{}rootfs:\n  package-metadata: false\n", fixture("ok/smallest.yaml"));
    let mut fake = with_dpkg(FakeGateway::modern(&spec));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("package metadata")));
    // No /var/lib/dpkg at all (the default fake): no error, no layer.
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("package metadata")));
}

#[test]
fn package_metadata_layers_are_the_same_with_and_without_mergeop() {
    let mut modern = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    let mut old = with_dpkg(FakeGateway::old_buildkit(&fixture("ok/smallest.yaml")));
    run_frontend(&mut modern, &[]);
    run_frontend(&mut old, &[ALLOW_OLD]);
    assert_eq!(layer_names(modern.only(Kind::Image)), layer_names(old.only(Kind::Image)));
}

// ---------------------------------------------------------------------------------------------------
// SBOM attestations the frontend makes itself (BUILDKIT_SBOM_SCAN_STAGE / _CONTEXT)
// ---------------------------------------------------------------------------------------------------

const SBOM_GENERATOR: &str = "example.com/sbom-generator:1";
const SBOM_GENERATOR_CONFIG: &str =
    r#"{"config":{"Entrypoint":["/bin/scan"],"Cmd":["--quiet"],"Env":["PATH=/bin"],"WorkingDir":"/work"}}"#;

/// The fake, plus what an attestation-capable BuildKit has: the `reference.attestations` cap (when
/// `cap` is set) and a generator image whose config has an entrypoint.
struct Attesting<'a> {
    inner: Shared<'a>,
    cap: bool,
}

impl Gateway for Attesting<'_> {
    async fn ping(&self) -> Result<Caps, GatewayError> {
        let mut caps = self.inner.ping().await?;
        if self.cap {
            caps.frontend.insert("reference.attestations".into());
        }
        Ok(caps)
    }
    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        let mut resolved = self.inner.resolve_image_config(reference, platform, mode).await?;
        if reference == SBOM_GENERATOR {
            resolved.config = SBOM_GENERATOR_CONFIG.as_bytes().to_vec();
        }
        Ok(resolved)
    }
    async fn solve(&self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        self.inner.solve(def, cache_imports).await
    }
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        self.inner.read_file(ref_id, path).await
    }
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        self.inner.stat_file(ref_id, path).await
    }
    async fn read_dir(&self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        self.inner.read_dir(ref_id, path).await
    }
    async fn warn(&self, warning: &Warning) -> Result<(), GatewayError> {
        self.inner.warn(warning).await
    }
    async fn return_images(&self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        self.inner.return_images(images, multi_platform).await
    }
    async fn return_metadata(&self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.inner.return_metadata(metadata).await
    }
    async fn return_error(&self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        self.inner.return_error(message, details).await
    }
}

fn run_frontend_attesting(fake: &mut FakeGateway, pairs: &[(&str, &str)], cap: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let gateway = Attesting {
        inner: Shared { fake: RefCell::new(&mut *fake), in_flight: Cell::new(0), peak: Cell::new(0) },
        cap,
    };
    runtime.block_on(run(&gateway, &options(pairs))).expect("the gateway accepts the answer");
    assert!(fake.answer.is_some(), "the frontend returned nothing");
}

/// The Definition a ref id names.
fn solved_def<'a>(fake: &'a FakeGateway, ref_id: &str) -> &'a pb::Definition {
    &fake.solved_ref(ref_id).expect("the attestation's ref was solved").def
}

/// The op a digest names in a Definition.
fn op_by_digest(def: &pb::Definition, digest: &str) -> pb::Op {
    let bytes = def.def.iter().find(|b| digest_of(b) == digest).unwrap_or_else(|| panic!("no op {digest}"));
    pb::Op::decode(bytes.as_slice()).expect("an Op")
}

#[test]
fn scan_args_make_the_frontend_run_the_generator_and_return_one_sbom_bundle_per_platform() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    let generator = format!("generator={SBOM_GENERATOR},mode=fast");
    let pairs = [
        ("attest:sbom", generator.as_str()),
        ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true"),
        ("platform", "linux/amd64,linux/arm64"),
    ];
    run_frontend_attesting(&mut fake, &pairs, true);

    // The generator is resolved once, on the build platform, where BuildKit runs generators.
    let resolved: Vec<&(String, Platform)> = fake.resolved.iter().filter(|(r, _)| r == SBOM_GENERATOR).collect();
    assert_eq!(resolved.len(), 1, "{:?}", fake.resolved);
    assert_eq!(resolved[0].1, Platform::linux_amd64());

    let (images, _) = fake.images();
    assert_eq!(images.len(), 2);
    for image in images {
        assert_eq!(image.attestations.len(), 1, "{}: one SBOM bundle", image.platform);
        let bundle = &image.attestations[0];
        assert_eq!((bundle.predicate_type.as_str(), bundle.path.as_str()), ("https://spdx.dev/Document", ""));
        let metadata: BTreeMap<&str, &str> = bundle.metadata.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
        assert_eq!(metadata, BTreeMap::from([("reason", "sbom"), ("sbom-core", "sbom")]));

        // The bundle is the generator's output directory alone: a copy of /run/out to the root of scratch.
        let def = solved_def(&fake, &bundle.ref_id);
        let statements = head(def).expect("a head op");
        let Some(pb::op::Op::File(copy)) = &statements.op else { panic!("the bundle is not a copy: {statements:?}") };
        let Some(pb::file_action::Action::Copy(c)) = &copy.actions[0].action else { panic!("not a copy") };
        assert_eq!((c.src.as_str(), c.dest.as_str(), copy.actions[0].input), ("/run/out", "/", -1));

        // The generator runs with BuildKit's protocol: its entrypoint and cmd, its env and workdir, the
        // image at the core path and the builder stage among the extras, all read-only.
        let (platform, exec) = execs(def)
            .into_iter()
            .find(|(_, e)| e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))
            .expect("the generator's exec");
        assert_eq!(platform_name(&platform), "linux/amd64", "{}: generators run on the build platform", image.platform);
        let meta = exec.meta.clone().unwrap();
        assert_eq!(
            (meta.args.as_slice(), meta.cwd.as_str()),
            (&["/bin/scan".to_string(), "--quiet".into()][..], "/work")
        );
        for var in [
            "PATH=/bin",
            "BUILDKIT_SCAN_DESTINATION=/run/out",
            "BUILDKIT_SCAN_SOURCE=/run/src/core/sbom",
            "BUILDKIT_SCAN_SOURCE_EXTRAS=/run/src/extras/",
            "BUILDKIT_SCAN_mode=fast",
        ] {
            assert!(meta.env.contains(&var.to_string()), "{var} missing from {:?}", meta.env);
        }
        let generator_op =
            ops(def).into_iter().find(|o| matches!(&o.op, Some(pb::op::Op::Exec(e)) if e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))).unwrap();
        let input_op = |dest: &str| -> pb::Op {
            let m = exec
                .mounts
                .iter()
                .find(|m| m.dest == dest)
                .unwrap_or_else(|| panic!("no mount at {dest}: {:?}", exec.mounts));
            assert!(m.readonly && m.output == -1, "{dest} must be a read-only input");
            op_by_digest(def, &generator_op.inputs[m.input as usize].digest)
        };
        assert!(
            matches!(input_op("/run/src/core/sbom").op, Some(pb::op::Op::Merge(_))),
            "the core target is the image (a merge of its layers)"
        );
        let Some(pb::op::Op::Exec(builder)) = input_op("/run/src/extras/sbom-builder").op else {
            panic!("the builder extra is not the builder's run")
        };
        assert!(builder.meta.unwrap().args.iter().any(|a| a.contains("go build")));
        let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
        assert!(!dests.contains(&"/run/src/extras/sbom-context"), "the context was not asked for: {dests:?}");
        let tmp = exec.mounts.iter().find(|m| m.dest == "/tmp").expect("a /tmp");
        assert_eq!(tmp.mount_type, pb::MountType::Tmpfs as i32);
        // The generator image is pinned to the digest it resolved to.
        let images: Vec<String> =
            sources(def).into_iter().map(|s| s.identifier).filter(|i| i.contains("sbom-generator")).collect();
        assert_eq!(images, [format!("docker-image://{SBOM_GENERATOR}@{DIGEST}")]);
    }
}

#[test]
fn scan_context_mounts_the_build_context_the_image_is_built_from() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    let generator = format!("generator={SBOM_GENERATOR}");
    run_frontend_attesting(
        &mut fake,
        &[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_CONTEXT", "1")],
        true,
    );
    let (images, _) = fake.images();
    let def = solved_def(&fake, &images[0].attestations[0].ref_id);
    let (_, exec) = execs(def)
        .into_iter()
        .find(|(_, e)| e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))
        .expect("the generator's exec");
    let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
    assert_eq!(dests, ["/", "/run/src/core/sbom", "/run/src/extras/sbom-context", "/tmp"]);
    let context: Vec<pb::SourceOp> = sources(def).into_iter().filter(|s| s.identifier == "local://context").collect();
    assert_eq!(context.len(), 1, "one context source, shared with the build");
    assert_eq!(context[0].attrs.get("local.session").map(String::as_str), Some("session-1"));
}

#[test]
fn without_a_scan_arg_or_the_attestations_cap_the_frontend_returns_no_attestations() {
    let generator = format!("generator={SBOM_GENERATOR}");
    let cases: [(&[(&str, &str)], bool); 4] = [
        // --sbom alone: BuildKit's SBOM processor scans the image after the frontend.
        (&[("attest:sbom", generator.as_str())], true),
        // A scan arg without --sbom asks for nothing.
        (&[("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true")], true),
        (&[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "false")], true),
        // A BuildKit that cannot take attestations from a frontend.
        (&[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true")], false),
    ];
    for (pairs, cap) in cases {
        let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
        run_frontend_attesting(&mut fake, pairs, cap);
        let (images, _) = fake.images();
        assert!(images[0].attestations.is_empty(), "{pairs:?}: {:?}", images[0].attestations);
        assert!(!fake.resolved.iter().any(|(r, _)| r == SBOM_GENERATOR), "{pairs:?}: the generator was resolved");
        assert!(execs(fake.solved.last().map(|s| &s.def).unwrap())
            .iter()
            .all(|(_, e)| e.meta.as_ref().unwrap().args[0] != "/bin/scan"));
        let warned = fake.warnings.iter().any(|w| w.message.contains("reference.attestations"));
        assert_eq!(warned, !cap, "{pairs:?}: a warning only when the cap is missing");
    }
}

#[test]
fn a_scan_arg_that_is_neither_a_boolean_nor_the_builder_stage_is_an_error() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend_attesting(&mut fake, &[("attest:sbom", ""), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "final")], true);
    let error = fake.error();
    assert!(
        error.contains("BUILDKIT_SBOM_SCAN_STAGE names stage `final`") && error.contains("true, false or builder"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------------
// Named contexts (`--build-context NAME=…`)
// ---------------------------------------------------------------------------------------------------

const MIRROR: &str = "127.0.0.1:5000/mirror/golang:1.23";

#[test]
fn a_build_context_named_like_the_builder_image_replaces_it_pinned() {
    for name in ["golang:1.23", "docker.io/library/golang:1.23"] {
        let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
        let mirror = format!("docker-image://{MIRROR}");
        run_frontend(&mut fake, &[(&format!("context:{name}"), &mirror)]);
        fake.images();
        // Only the mirror is resolved, and the builder runs on it, pinned to its digest.
        assert_eq!(fake.resolved, [(MIRROR.to_string(), Platform::linux_amd64())], "{name}");
        let ids: Vec<String> = sources(fake.only(Kind::Builder)).into_iter().map(|s| s.identifier).collect();
        assert!(ids.contains(&format!("docker-image://{MIRROR}@{DIGEST}")), "{name}: {ids:?}");
        assert!(!ids.iter().any(|i| i.contains("docker.io/library/golang")), "{name}: {ids:?}");
        let (_, meta) = the_exec(fake.only(Kind::Builder));
        assert!(meta.env.contains(&"GOPATH=/go".to_string()), "the mirror's Env: {:?}", meta.env);
    }
}

#[test]
fn a_context_for_another_image_or_platform_leaves_the_builder_alone() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(
        &mut fake,
        &[
            ("context:golang:1.22", "docker-image://x/golang:1.22"),
            ("context:golang:1.23::linux/arm64", "docker-image://x/arm"),
        ],
    );
    fake.images();
    assert_eq!(fake.resolved, [("docker.io/library/golang:1.23".to_string(), Platform::linux_amd64())]);
}

#[test]
fn a_local_directory_cannot_replace_the_builder_image() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("context:golang:1.23", "local:golang:1.23")]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:3:10"), "{error}");
    assert!(
        error.contains("a local directory; the builder must be an image")
            && error.contains("golang:1.23=docker-image://"),
        "{error}"
    );
    assert!(fake.definitions(Kind::Builder).is_empty());
}

const NAMED_COPY: &str = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy:\n  - /out/app\n  - {from: \"context:assets:static/\", to: /srv/}\n";

#[test]
fn copy_from_a_named_context_reads_that_local_directory_minus_its_dockerignore() {
    let mut fake = FakeGateway::modern(NAMED_COPY).with_dockerignore("*.tmp\n");
    run_frontend(&mut fake, &[("context:assets", "local:assets"), ("local-sessionid:assets", "session-2")]);
    fake.images();
    let image = fake.only(Kind::Image);
    let assets: Vec<pb::SourceOp> = sources(image).into_iter().filter(|s| s.identifier == "local://assets").collect();
    assert_eq!(assets.len(), 1, "{:#}", render(image));
    assert_eq!(assets[0].attrs.get("local.session").map(String::as_str), Some("session-2"));
    assert_eq!(assets[0].attrs.get("local.sharedkeyhint").map(String::as_str), Some("context:assets"));
    assert_eq!(assets[0].attrs.get("local.excludepatterns").map(String::as_str), Some(r#"["*.tmp"]"#));
    // Its .dockerignore was read from that local, not the main context's.
    let ignores: Vec<String> =
        fake.definitions(Kind::DockerIgnore).iter().flat_map(|d| sources(d)).map(|s| s.identifier).collect();
    assert!(
        ignores.contains(&"local://assets".to_string()) && ignores.contains(&"local://context".to_string()),
        "{ignores:?}"
    );
    // The copy reads `static/` of that context into /srv.
    assert!(copy_destinations(image).iter().any(|d| d.starts_with("/srv")), "{:?}", copy_destinations(image));
    assert!(
        rendered_ops(image)
            .iter()
            .any(|op| op.to_string().contains("\"/static/\"") || op.to_string().contains("\"/static\"")),
        "{:#}",
        render(image)
    );
}

#[test]
fn copy_from_a_named_image_context_reads_the_image() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("context:assets", "docker-image://busybox:musl")]);
    fake.images();
    let ids: Vec<String> = sources(fake.only(Kind::Image)).into_iter().map(|s| s.identifier).collect();
    assert!(ids.contains(&"docker-image://docker.io/library/busybox:musl".to_string()), "{ids:?}");
}

#[test]
fn copy_from_an_unknown_or_unreadable_named_context_is_a_located_error() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:4:5") && reports(error, SK402, "`assets`"), "{error}");
    assert!(error.contains("--build-context assets=<directory>"), "{error}");
    assert!(fake.definitions(Kind::Builder).is_empty(), "the build ran before the error");

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("context:assets", "git://example.com/assets.git")]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:4:5") && reports(error, SK404, "`git`"), "{error}");
}

/// A context for one platform (`NAME::<platform>`) is checked against each target platform, not the
/// build platform: it serves an arm64 image built on amd64, and a platform without one is an error.
#[test]
fn named_contexts_are_checked_for_each_target_platform() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("platform", "linux/arm64"), ("context:assets::linux/arm64", "local:assets")]);
    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(
        &mut fake,
        &[("platform", "linux/amd64,linux/arm64"), ("context:assets::linux/amd64", "local:assets")],
    );
    let error = fake.error();
    assert!(
        error.contains("scratch.yaml:4:5") && reports(error, SK403, "`assets` was passed for linux/arm64"),
        "{error}"
    );
    assert!(fake.definitions(Kind::Builder).is_empty(), "the build ran before the error");

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(
        &mut fake,
        &[
            ("platform", "linux/amd64,linux/arm64"),
            ("context:assets", "local:assets"),
            ("context:assets::linux/arm64", "git://x/y.git"),
        ],
    );
    let error = fake.error();
    assert!(reports(error, SK404, "`assets` for linux/arm64"), "{error}");
}

#[test]
fn outline_lists_args_with_defaults_secrets_ssh_and_caches_where_the_spec_declares_them() {
    let mut fake = FakeGateway::modern(&fixture("ok/full.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.outline"), ("target", "debug")]);

    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    let at = |line: usize, character: usize| json!({ "sourceIndex": 0, "ranges": [{ "start": { "line": line, "character": character }, "end": { "line": line, "character": character } }] });
    assert_eq!(outline["name"], "debug");
    assert_eq!(outline["args"], json!([{ "name": "VERSION", "value": "dev", "location": at(5, 3) }]));
    assert_eq!(outline["secrets"], json!([{ "name": "netrc", "required": true, "location": at(13, 18) }]));
    assert_eq!(outline["ssh"], json!([{ "name": "default", "required": true, "location": at(14, 8) }]));
    assert_eq!(
        outline["cache"],
        json!([{ "ID": "/root/.cache/go-build", "location": at(12, 11) }, { "ID": "/go/pkg/mod", "location": at(12, 34) }])
    );
    let txt = text(&fake.metadata()["result.txt"]);
    for line in [
        "TARGET:      debug",
        "BUILD ARG   VALUE",
        "VERSION     dev",
        "SECRET   REQUIRED",
        "netrc    true",
        "SSH       REQUIRED",
        "default   true",
        "/go/pkg/mod",
    ] {
        assert!(txt.lines().any(|l| l == line), "no line {line:?} in:\n{txt}");
    }
    assert!(fake.definitions(Kind::Builder).is_empty(), "a subrequest ran the build");
}

#[test]
fn outline_of_a_spec_without_builder_lists_nothing_but_the_target() {
    let mut fake = FakeGateway::modern("copy: [app]\n");
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);
    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!(outline["name"], "default");
    assert_eq!(
        (outline["args"].clone(), outline["secrets"].clone(), outline["ssh"].clone()),
        (json!([]), json!([]), json!([]))
    );
}

// ---------------------------------------------------------------------------------------------------
// The image check: the assembled image, read through ReadDir, as its user meets it
// ---------------------------------------------------------------------------------------------------

const SYMLINK: u32 = 1 << 27;
const STICKY: u32 = 1 << 20;

/// What SMALLEST_NO_BUILDER's image holds when it is right: `/app` 0755, `/tmp` 1777, nonroot's home.
fn right_image() -> BTreeMap<String, FileStat> {
    let stat = |mode: u32, uid: u32| FileStat { mode, uid, gid: uid, size: 10, ..FileStat::default() };
    [
        ("/app", stat(0o755, 0)),
        ("/etc", stat(DIR | 0o755, 0)),
        ("/etc/passwd", stat(0o644, 0)),
        ("/etc/group", stat(0o644, 0)),
        ("/etc/nsswitch.conf", stat(0o644, 0)),
        ("/root", stat(DIR | 0o700, 0)),
        ("/home", stat(DIR | 0o755, 0)),
        ("/home/nonroot", stat(DIR | 0o700, 65532)),
        ("/tmp", stat(DIR | STICKY | 0o777, 0)),
    ]
    .into_iter()
    .map(|(p, s)| (p.to_string(), s))
    .collect()
}

const NO_BUILDER: &str = "copy: [{from: context:app, to: /app}]\n";

#[test]
fn the_image_is_listed_once_per_directory_and_a_right_one_is_returned() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(right_image());
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    let mut listed = fake.image_lists.clone();
    listed.sort();
    assert_eq!(listed, ["/", "/etc", "/home", "/home/nonroot", "/root", "/tmp"]);
}

#[test]
fn a_wrong_image_fails_the_build_with_located_errors() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    let mut image = right_image();
    image.insert("/tmp".into(), FileStat { mode: DIR | 0o755, ..FileStat::default() });
    image.insert("/app".into(), FileStat { mode: 0o744, ..FileStat::default() });
    image.insert(
        "/etc/motd".into(),
        FileStat { mode: SYMLINK | 0o777, linkname: "/run/motd".into(), ..FileStat::default() },
    );
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    let Some(Answer::Error(message)) = &fake.answer else { panic!("the build succeeded: {:?}", fake.answer) };
    for want in [
        "entrypoint `/app` cannot be executed by the image's user (uid 65532): it is a file, 0:0 0744",
        "--> scratch.yaml:1:8",
        "`rootfs.tmp`: `/tmp` should be a directory, 0:0 1777, but in the image it is a directory, 0:0 0755",
        "`/etc/motd` is a symlink to `/run/motd`, which does not resolve in the image",
    ] {
        assert!(message.contains(want), "no `{want}` in:\n{message}");
    }
}

#[test]
fn without_readdir_the_image_is_not_read() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    assert!(fake.image_lists.is_empty());
}

/// Without MergeOp, file operations drop special bits (the build warns): `/tmp` at 0777 is not held
/// against the image, which a current BuildKit's image would be.
#[test]
fn a_buildkit_that_drops_special_bits_is_not_failed_for_tmp() {
    let mut image = right_image();
    image.insert("/tmp".into(), FileStat { mode: DIR | 0o777, ..FileStat::default() });
    let mut fake = FakeGateway::old_buildkit(NO_BUILDER);
    fake.image = Some(image.clone());
    run_frontend(&mut fake, &[ALLOW_OLD]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    assert!(
        matches!(&fake.answer, Some(Answer::Error(m)) if m.contains("`/tmp` should be a directory, 0:0 1777")),
        "{:?}",
        fake.answer
    );
}

/// The walk keeps at most 16 listings in flight (each is a snapshot mount in BuildKit), however wide the
/// image.
#[test]
fn the_image_is_read_with_bounded_concurrency() {
    let mut image = right_image();
    for i in 0..64 {
        image.insert(format!("/srv{i}"), FileStat { mode: DIR | 0o755, ..FileStat::default() });
    }
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    assert_eq!(fake.image_lists.len(), 6 + 64);
    assert!(fake.peak_in_flight <= 16, "{} requests in flight at once", fake.peak_in_flight);
}

/// A static C program whose debug information is most of the file (2 MiB of it).
fn mostly_debug_information() -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-fake-debug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, plain, pad, out) = (dir.join("hello.c"), dir.join("plain"), dir.join("pad"), dir.join("padded"));
    std::fs::write(&src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").unwrap();
    let status = std::process::Command::new("gcc")
        .args(["-static", "-g", "-o"])
        .arg(&plain)
        .arg(&src)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    std::fs::write(&pad, vec![0x5a; 2 << 20]).unwrap();
    let section = format!(".debug_pad={}", pad.display());
    let status = std::process::Command::new("objcopy")
        .args(["--add-section", &section])
        .arg(&plain)
        .arg(&out)
        .status()
        .expect("objcopy runs");
    assert!(status.success(), "objcopy failed");
    std::fs::read(&out).unwrap()
}

#[test]
fn debug_information_is_a_note_in_the_log_not_a_build_warning() {
    let mut fake =
        FakeGateway::modern(&fixture("ok/smallest.yaml")).with_bytes("/out/app", 0o755, mostly_debug_information());
    run_frontend(&mut fake, &[]);

    assert!(!fake.definitions(Kind::Image).is_empty(), "the image was not solved");
    // buildx would print "1 warning found" for it: the note (SK331) stays in the daemon log.
    assert!(fake.warnings.is_empty(), "a note was sent as a warning: {:?}", fake.warnings);
}

/// Whether the rendered diagnostics report the rule `rule` in a message that names `value`.
fn reports(rendered: &str, rule: &scratchkit::rules::Rule, value: &str) -> bool {
    let label = |severity: &str| format!("{severity}[{}]: ", rule.code);
    rendered.lines().any(|l| (l.starts_with(&label("error")) || l.starts_with(&label("warning"))) && l.contains(value))
}

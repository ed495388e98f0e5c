//! `FakeGateway`, an in-memory LLBBridge for running the whole frontend (`frontend::run`) without a
//! daemon. The fake classifies every Definition the frontend solves (spec local, `.dockerignore` local,
//! builder, probe, context, image) by decoding its ops, answers file reads and stats the way BuildKit
//! would, and records the one answer the frontend returns. One BuildKit is modern (with MergeOp), the
//! other old (without it).

mod answers;
mod attesting;
mod contents;
mod probe;

pub use attesting::*;
pub use contents::*;
pub use probe::*;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use answers::Shared;
use scratchkit::frontend::run;
use scratchkit::gateway::{Built, CacheImport, FileStat, GatewayError, Options, Warning};
use scratchkit::platform::Platform;
use scratchkit::proto::pb;

use crate::support::definitions::{head, head_name, ops, sources};

/// Go `os.ModeDir`.
pub const DIR: u32 = 1 << 31;
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
pub const ZONEINFO: &str = "/usr/share/zoneinfo";
pub const SERVICES: &str = "/etc/services";
pub const PROTOCOLS: &str = "/etc/protocols";
pub const MIME_TYPES: &str = "/etc/mime.types";
/// The manifest digest every image resolves to.
pub const DIGEST: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const BUILDER_CONFIG: &str = r#"{"config":{"Env":["PATH=/usr/local/go/bin:/usr/bin:/bin","GOPATH=/go"]}}"#;

/// LLB caps of a current BuildKit.
pub const MODERN_LLB_CAPS: &[&str] = &[
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
pub const MODERN_FRONTEND_CAPS: &[&str] =
    &["solve.base", "solve.inlinereturn", "gateway.warnings", "frontend.inputs", "resolveimage"];

/// What a solved Definition is, judged from its ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
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

pub struct Solved {
    pub kind: Kind,
    pub def: pb::Definition,
    pub cache_imports: Vec<CacheImport>,
}

/// The single answer the frontend gives BuildKit.
pub enum Answer {
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

pub struct FakeGateway {
    // What the fake is configured to answer.
    pub llb_caps: BTreeSet<String>,
    pub spec_name: String,
    pub spec: String,
    pub dockerignore: Option<String>,
    pub builder_files: BTreeMap<String, FileStat>,
    /// Contents of builder files; a file without contents reads as a shell script (not ELF).
    pub builder_bytes: BTreeMap<String, Vec<u8>>,
    pub build_failure: Option<String>,
    /// The error details the failed build carries (BuildKit's: source, vertex, exec error).
    pub build_failure_details: Vec<prost_types::Any>,
    /// The details the frontend returned with its error.
    pub returned_details: Vec<prost_types::Any>,
    // What the frontend sent it.
    pub solved: Vec<Solved>,
    pub resolved: Vec<(String, Platform)>,
    pub warnings: Vec<Warning>,
    pub answer: Option<Answer>,
    /// The most requests the frontend had in flight at once.
    pub peak_in_flight: usize,
    /// Every path the frontend read (stat, read, readdir) of the builder itself and of the probe.
    pub builder_reads: Vec<String>,
    pub probe_reads: Vec<String>,
    /// BuildKit refuses to solve the probe (as one that cannot read an op would).
    pub refuse_probe: bool,
    /// Builder symlinks with absolute targets, by path: the builder resolves them through its own root;
    /// copied into the probe below a read's own path, they point into nothing.
    pub links: BTreeMap<String, String>,
    /// The assembled image, by path, as `ReadDir` lists it (with owners and link targets). With one, the
    /// fake advertises `readdir` and the frontend checks the image.
    pub image: Option<BTreeMap<String, FileStat>>,
    /// Paths of the image the frontend listed.
    pub image_lists: Vec<String>,
    /// Files of the build context, by path from its root (`/hello`).
    pub context_files: BTreeMap<String, Vec<u8>>,
}

impl FakeGateway {
    /// A current BuildKit serving `spec` as `scratch.yaml`, whose builder produced `/out/app` (0755),
    /// has a CA bundle, a time zone database, `/etc/services`, `/etc/protocols` and `/etc/mime.types`.
    pub fn modern(spec: &str) -> Self {
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
    pub fn old_buildkit(spec: &str) -> Self {
        let mut fake = Self::modern(spec);
        fake.llb_caps.remove("mergeop");
        fake
    }

    /// The spec's file name inside the spec local (what `-f` gives as `filename`).
    pub fn named(mut self, name: &str) -> Self {
        self.spec_name = name.into();
        self
    }

    pub fn with_file(mut self, path: &str, mode: u32) -> Self {
        self.builder_files.insert(path.into(), FileStat { mode, size: 10, ..FileStat::default() });
        self
    }

    /// A builder file with these contents (e.g. a real ELF binary, so the checks and the library
    /// closure run on it).
    pub fn with_bytes(mut self, path: &str, mode: u32, bytes: Vec<u8>) -> Self {
        self.builder_files.insert(path.into(), FileStat { mode, size: bytes.len() as i64, ..FileStat::default() });
        self.builder_bytes.insert(path.into(), bytes);
        self
    }

    /// A symlink at `path` to the absolute `target`, which the builder has.
    pub fn with_link(mut self, path: &str, target: &str) -> Self {
        let stat = self.builder_files.get(target).cloned().unwrap_or_else(|| panic!("{target} is not in the builder"));
        self.builder_files.insert(path.into(), stat);
        self.links.insert(path.into(), target.into());
        self
    }

    /// A file of the build context.
    pub fn with_context_file(mut self, path: &str, bytes: Vec<u8>) -> Self {
        self.context_files.insert(path.into(), bytes);
        self
    }

    pub fn without_file(mut self, path: &str) -> Self {
        assert!(self.builder_files.remove(path).is_some(), "{path} was not in the builder");
        self
    }

    pub fn with_dockerignore(mut self, text: &str) -> Self {
        self.dockerignore = Some(text.into());
        self
    }

    /// The builder's `run` fails: the first stat of its output (which runs the solve) says so.
    pub fn failing_build(mut self, message: &str) -> Self {
        self.build_failure = Some(message.into());
        self
    }

    pub fn classify(&self, def: &pb::Definition) -> Kind {
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

    pub fn solved_ref(&self, ref_id: &str) -> Result<&Solved, GatewayError> {
        ref_id
            .strip_prefix("ref-")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| self.solved.get(n))
            .ok_or_else(|| GatewayError::new(format!("no such ref {ref_id}")))
    }

    pub fn answer(&mut self, answer: Answer) {
        if let Some(first) = &self.answer {
            panic!("the frontend returned twice: first {first:?}, then {answer:?}");
        }
        self.answer = Some(answer);
    }

    // What the frontend did, for assertions.

    pub fn definitions(&self, kind: Kind) -> Vec<&pb::Definition> {
        self.solved.iter().filter(|s| s.kind == kind).map(|s| &s.def).collect()
    }

    /// The only Definition of this kind.
    pub fn only(&self, kind: Kind) -> &pb::Definition {
        let defs = self.definitions(kind);
        assert_eq!(defs.len(), 1, "expected exactly one {kind:?} definition, got {}", defs.len());
        defs[0]
    }

    pub fn images(&self) -> (&[Built], bool) {
        match &self.answer {
            Some(Answer::Images { images, multi_platform }) => (images, *multi_platform),
            other => panic!("expected images, the frontend returned {other:?}"),
        }
    }

    pub fn error(&self) -> &str {
        match &self.answer {
            Some(Answer::Error(message)) => message,
            other => panic!("expected an error, the frontend returned {other:?}"),
        }
    }

    pub fn metadata(&self) -> &BTreeMap<String, Vec<u8>> {
        match &self.answer {
            Some(Answer::Metadata(md)) => md,
            other => panic!("expected metadata, the frontend returned {other:?}"),
        }
    }
}

/// Frontend options as BuildKit passes them in the environment.
pub fn options(pairs: &[(&str, &str)]) -> Options {
    let opts = pairs.iter().enumerate().map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")));
    Options::from_vars(opts.chain([("BUILDKIT_SESSION_ID".to_string(), "session-1".to_string())]))
}

pub fn run_frontend(fake: &mut FakeGateway, pairs: &[(&str, &str)]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let shared = Shared { fake: RefCell::new(&mut *fake), in_flight: Cell::new(0), peak: Cell::new(0) };
    runtime.block_on(run(&shared, &options(pairs))).expect("the gateway accepts the answer");
    let peak = shared.peak.get();
    fake.peak_in_flight = peak;
    assert!(fake.answer.is_some(), "the frontend returned nothing");
}

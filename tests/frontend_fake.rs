//! Test layer 5: the whole frontend (`gateway::frontend::run`) against `FakeGateway`, an in-memory
//! LLBBridge. The fake classifies every Definition the frontend solves (spec local, `.dockerignore`
//! local, builder, image) by decoding its ops, answers file reads and stats the way BuildKit would,
//! and records the one answer the frontend returns. One BuildKit is modern (with MergeOp), the other
//! old (without it). No daemon needed.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use prost::Message;
use scratchkit::gateway::frontend::run;
use scratchkit::gateway::{Built, Caps, FileStat, Gateway, GatewayError, Options, ResolvedImage, Warning};
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
const MODERN_FRONTEND_CAPS: &[&str] = &["solve.base", "solve.inlinereturn", "gateway.warnings", "frontend.inputs", "resolveimage"];

/// What a solved Definition is, judged from its ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The local that holds the spec (`local.followpaths` names the spec file).
    Spec,
    /// The context local restricted to `.dockerignore`.
    DockerIgnore,
    /// Ends in an exec and has no merge: the builder stage alone.
    Builder,
    /// Anything else: the final image.
    Image,
}

struct Solved {
    kind: Kind,
    def: pb::Definition,
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
                let list: Vec<String> = images.iter().map(|b| format!("{} {} {}", b.platform, b.ref_id, String::from_utf8_lossy(&b.config))).collect();
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
    build_failure: Option<String>,
    // What the frontend sent it.
    solved: Vec<Solved>,
    resolved: Vec<(String, Platform)>,
    warnings: Vec<Warning>,
    answer: Option<Answer>,
    /// The most requests the frontend had in flight at once.
    peak_in_flight: usize,
}

impl FakeGateway {
    /// A current BuildKit serving `spec` as `scratch.yaml`, whose builder produced `/out/app` (0755),
    /// has a CA bundle and a time zone database.
    fn modern(spec: &str) -> Self {
        FakeGateway {
            llb_caps: MODERN_LLB_CAPS.iter().map(|c| c.to_string()).collect(),
            spec_name: "scratch.yaml".into(),
            spec: spec.into(),
            dockerignore: None,
            builder_files: BTreeMap::new(),
            build_failure: None,
            solved: Vec::new(),
            resolved: Vec::new(),
            warnings: Vec::new(),
            answer: None,
            peak_in_flight: 0,
        }
        .with_file("/out/app", 0o755)
        .with_file(CA_BUNDLE, 0o644)
        .with_file(ZONEINFO, DIR | 0o755)
    }

    /// A BuildKit from before MergeOp (< 0.10).
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
        self.builder_files.insert(path.into(), FileStat { mode, size: 10, linkname: String::new() });
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
        let ops = ops(def);
        let has_exec = ops.iter().any(|o| matches!(o.op, Some(pb::op::Op::Exec(_))));
        let has_merge = ops.iter().any(|o| matches!(o.op, Some(pb::op::Op::Merge(_))));
        if !has_exec {
            for source in sources(def).iter().filter(|s| s.identifier.starts_with("local://")) {
                let follow: Vec<String> = source.attrs.get("local.followpaths").and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
                if follow.iter().any(|p| p == ".dockerignore") {
                    return Kind::DockerIgnore;
                }
                if follow.contains(&self.spec_name) {
                    return Kind::Spec;
                }
            }
            return Kind::Image;
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
            .ok_or_else(|| GatewayError(format!("no such ref {ref_id}")))
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
        Ok(Caps {
            frontend: MODERN_FRONTEND_CAPS.iter().map(|c| c.to_string()).collect(),
            llb: self.llb_caps.clone(),
            worker_platforms: vec![Platform::linux_amd64()],
        })
    }

    fn resolve_image_config(&mut self, reference: &str, platform: &Platform, _mode: &str) -> Result<ResolvedImage, GatewayError> {
        self.resolved.push((reference.into(), platform.clone()));
        Ok(ResolvedImage { digest: DIGEST.into(), config: BUILDER_CONFIG.as_bytes().to_vec() })
    }

    fn solve(&mut self, def: pb::Definition) -> Result<String, GatewayError> {
        let kind = self.classify(&def);
        self.solved.push(Solved { kind, def });
        Ok(format!("ref-{}", self.solved.len() - 1))
    }

    fn read_file(&mut self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        let found = match kind {
            Kind::Spec if path == self.spec_name => Some(self.spec.clone()),
            Kind::DockerIgnore if path == ".dockerignore" => self.dockerignore.clone(),
            // A script, not ELF: the frontend needs no library closure for it.
            Kind::Builder if self.builder_files.get(path).is_some_and(|s| !s.is_dir()) => Some("#!/bin/sh\n".into()),
            _ => None,
        };
        found.map(String::into_bytes).ok_or_else(|| GatewayError(format!("open {path}: no such file or directory ({kind:?} {ref_id})")))
    }

    fn stat_file(&mut self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        let kind = self.solved_ref(ref_id)?.kind;
        if kind != Kind::Builder {
            return Err(GatewayError(format!("stat {path}: {ref_id} is a {kind:?}, not the builder")));
        }
        if path == "." {
            return match &self.build_failure {
                Some(message) => Err(GatewayError(message.clone())),
                None => Ok(FileStat { mode: DIR | 0o755, ..FileStat::default() }),
            };
        }
        self.builder_files.get(path).cloned().ok_or_else(|| GatewayError(format!("stat {path}: no such file or directory")))
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

    fn return_error(&mut self, message: String) -> Result<(), GatewayError> {
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
    async fn resolve_image_config(&self, reference: &str, platform: &Platform, mode: &str) -> Result<ResolvedImage, GatewayError> {
        self.call(|f| f.resolve_image_config(reference, platform, mode)).await
    }
    async fn solve(&self, def: pb::Definition) -> Result<String, GatewayError> {
        self.call(|f| f.solve(def)).await
    }
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        self.call(|f| f.read_file(ref_id, path)).await
    }
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        self.call(|f| f.stat_file(ref_id, path)).await
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
    async fn return_error(&self, message: String) -> Result<(), GatewayError> {
        self.call(|f| f.return_error(message)).await
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
    def.def.iter().find(|bytes| &digest_of(bytes) == wanted).map(|bytes| pb::Op::decode(bytes.as_slice()).expect("an Op"))
}

fn sources(def: &pb::Definition) -> Vec<pb::SourceOp> {
    ops(def).into_iter().filter_map(|o| if let Some(pb::op::Op::Source(s)) = o.op { Some(s) } else { None }).collect()
}

/// Exec ops with the platform they run on.
fn execs(def: &pb::Definition) -> Vec<(Option<pb::Platform>, pb::ExecOp)> {
    ops(def).into_iter().filter_map(|o| if let Some(pb::op::Op::Exec(e)) = o.op { Some((o.platform, e)) } else { None }).collect()
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

    // Solved in order: spec, .dockerignore, builder (checked), image; the image returned is the last one.
    let kinds: Vec<Kind> = fake.solved.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [Kind::Spec, Kind::DockerIgnore, Kind::Builder, Kind::Image]);
    assert_eq!(images[0].ref_id, "ref-3");
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

#[test]
fn old_buildkit_without_mergeop_gets_the_pieces_chained() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

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
    assert!(!meta.env.iter().chain(&meta.args).any(|s| s.contains("hello")), "the default leaked: {script} {:?}", meta.env);
    assert_eq!(config(&images[0])["config"]["Labels"]["greeting"], "bonjour");
}

#[test]
fn missing_builder_output_points_at_its_copy_entry() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file("/out/app");
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("`/out/app` does not exist in the builder"), "{error}");
    // smallest.yaml line 6: `  - /out/app`.
    assert!(error.contains("scratch.yaml:6:5"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn missing_ca_bundle_names_the_package_to_install() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file(CA_BUNDLE);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains(&format!("no CA bundle at `{CA_BUNDLE}`")), "{error}");
    assert!(error.contains("apt-get install ca-certificates"), "{error}");
    // smallest.yaml line 3: `  image: golang:1.23`, the value.
    assert!(error.contains("scratch.yaml:3:10"), "{error}");
}

#[test]
fn entrypoint_without_execute_bit_hints_at_mode() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_file("/out/app", 0o644);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("entrypoint `/out/app` is not executable (mode 0644)"), "{error}");
    assert!(error.contains(r#"mode: "0755""#), "{error}");
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
    let failure = r#"process "/bin/sh -c CGO_ENABLED=0 go build -o /out/app ." did not complete successfully: exit code: 1"#;
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).failing_build(failure);
    run_frontend(&mut fake, &[]);

    assert_eq!(fake.error(), failure);
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved after the build failed");
}

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
    assert_eq!(outline["args"][0], json!({ "name": "GREETING", "value": "hello" }));
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
    assert_eq!(json["warnings"][0]["ruleName"], "SpecError");
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

    let context = sources(fake.only(Kind::Builder)).into_iter().find(|s| s.identifier == "local://context").expect("a context local");
    let excludes: Value = serde_json::from_str(&context.attrs["local.excludepatterns"]).unwrap();
    assert_eq!(excludes, json!(["secret.txt"]));
    assert_eq!(context.attrs.get("local.session").map(String::as_str), Some("session-1"));
}

#[test]
fn without_dockerignore_the_context_has_no_excludes() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    let context = sources(fake.only(Kind::Builder)).into_iter().find(|s| s.identifier == "local://context").expect("a context local");
    assert!(!context.attrs.contains_key("local.excludepatterns"), "{:?}", context.attrs);
}

#[test]
fn contextkey_names_one_local_for_dockerignore_and_context() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_dockerignore("secret.txt\n");
    run_frontend(&mut fake, &[("contextkey", "ctx")]);

    let ignore = sources(fake.only(Kind::DockerIgnore)).remove(0).identifier;
    let context = sources(fake.only(Kind::Builder)).into_iter().find(|s| s.identifier.starts_with("local://")).expect("a context local");
    assert_eq!(ignore, context.identifier, ".dockerignore and the context it filters come from different locals");
}

#[test]
#[should_panic(expected = "the frontend returned twice")]
fn the_fake_refuses_a_second_answer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let _ = fake.return_error("again".into());
}

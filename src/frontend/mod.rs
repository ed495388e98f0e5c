//! The frontend, start to finish, against any [`Gateway`]: read the spec, resolve the builder, lower,
//! check the builder's output, solve, return. This module is the only one that knows both the transport
//! ([`crate::gateway`]) and the checks ([`crate::verify`]); `serve` starts it over stdio.

mod analysis;
mod attestations;
mod builder_fs;
mod contexts;
mod failure;
mod image_fs;
mod serve;
pub mod subrequests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{join, join_all};

use crate::compile::compile;
use crate::diag::{Diagnostic, Diagnostics};
use crate::gateway::{parse_dockerignore, BadCacheImports, Built, CacheImport, Caps, Gateway, GatewayError, Options, Warning};
use crate::llb::{SourceFile, State};
use crate::lower::{self, Context};
use crate::plan::{Piece, Plan, PlanInputs, RunsOn, Zones};
use crate::platform::Platform;
use crate::reference;
use crate::verify;
use builder_fs::BuilderFs;
pub use failure::{Failed, Failure};
pub use serve::serve_stdio;

enum Answer {
    Images(Vec<Built>, bool),
    Metadata(Vec<(String, Vec<u8>)>),
}

/// How the frontend's time was spent, for its log line (bench/ reads it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Wall time during which builder stages were building (from the first start to the last end):
    /// BuildKit's work that the frontend waits for, not the frontend's own overhead.
    pub builder: Duration,
}

/// When one builder stage started and finished building.
type Span = (Instant, Instant);

fn union_length(spans: &[Span]) -> Duration {
    match (spans.iter().map(|s| s.0).min(), spans.iter().map(|s| s.1).max()) {
        (Some(start), Some(end)) => end.saturating_duration_since(start),
        _ => Duration::ZERO,
    }
}

/// Runs one build and returns its result (or its error) to BuildKit exactly once.
pub async fn run<G: Gateway>(g: &G, options: &Options) -> Result<Timings, GatewayError> {
    let mut timings = Timings::default();
    match answer(g, options, &mut timings).await {
        Ok(Answer::Images(images, multi)) => g.return_images(images, multi).await?,
        Ok(Answer::Metadata(md)) => g.return_metadata(md).await?,
        Err(Failed { message, details }) => g.return_error(message, details).await?,
    }
    Ok(timings)
}

/// The build arg that lets a BuildKit without MergeOp build anyway, with the warnings below.
pub const ALLOW_OLD_BUILDKIT: &str = "SCRATCHKIT_ALLOW_OLD_BUILDKIT";

/// Why a BuildKit before v0.10 is refused. Measured on Debian 12's docker.io 20.10 (BuildKit v0.8): its file
/// operations drop the sticky bit, so `/tmp` would be world-writable without it (anyone could delete or
/// replace another user's files there), and copies cannot exclude files.
const OLD_BUILDKIT: &str = "scratchkit needs BuildKit v0.10 or newer (Docker Engine 23 or newer); this one has no MergeOp. \
On older BuildKit (Debian 12's docker.io 20.10 has v0.8) file operations drop the sticky bit, so the image's /tmp would be 0777 instead of 1777. \
Upgrade Docker or BuildKit, or build anyway with --build-arg SCRATCHKIT_ALLOW_OLD_BUILDKIT=true";

async fn answer<G: Gateway>(g: &G, options: &Options, timings: &mut Timings) -> Result<Answer, Failed> {
    let caps = g.ping().await?;
    let filename = options.filename();
    let request = options.get("requestid").filter(|r| !r.is_empty());
    if let Some(request) = request {
        if !subrequests::KNOWN.contains(&request) {
            // buildx matches on this text to fall back for subrequests a frontend does not know.
            return Err(Failure(format!("unsupported request {request}")).into());
        }
        if request == subrequests::DESCRIBE {
            return Ok(Answer::Metadata(subrequests::describe()));
        }
    }
    let allow_old = options.build_args().get(ALLOW_OLD_BUILDKIT).is_some_and(|v| v == "true" || v == "1");
    if request.is_none() && !caps.has_llb("mergeop") && !allow_old {
        return Err(Failure(OLD_BUILDKIT.to_string()).into());
    }
    // The spec and the context's .dockerignore live in different locals: fetch both at once.
    let dockerignore = async {
        match request {
            None => read_dockerignore(g, options).await,
            Some(_) => Vec::new(),
        }
    };
    let (spec, excludes) = join(read_spec(g, options, &filename), dockerignore).await;
    let (text, spec_vertex) = spec?;
    let build_platform = caps.worker_platforms.first().cloned().unwrap_or_else(Platform::linux_amd64);
    let inputs = PlanInputs {
        build_args: options.build_args(),
        platforms: requested_platforms(options)?,
        default_platform: Some(build_platform.clone()),
        target: options.get("target").map(str::to_string),
    };
    if let Some(request) = request {
        return Ok(Answer::Metadata(subrequests::answer(request, &text, &filename, &inputs)));
    }
    let compiled = compile(&text, &filename, &inputs)?;
    let mut warnings = compiled.warnings.clone();
    let plan = compiled.plan;
    let mut ctx = Context::new(build_platform.clone());
    // A source map: BuildKit shows a failing step with its spec lines, as it does for a Dockerfile.
    ctx.source = Some(Arc::new(SourceFile { filename: filename.clone(), data: text.clone().into_bytes(), language: "yaml".into() }));
    ctx.session_id = options.session_id.clone();
    ctx.context_excludes = excludes;
    ctx.merge = caps.has_llb("mergeop");
    if !ctx.merge {
        warnings.push(
            Diagnostic::warning(None, "this BuildKit has no MergeOp (before v0.10): the layers are stacked as a chain, and file modes may lose their special bits (BuildKit v0.8 gives /tmp 0777, not 1777)")
                .hint("upgrade to BuildKit v0.10 or newer (Docker Engine 23 or newer)"),
        );
    }
    ctx.copy_excludes = caps.has_llb("file.copy.includeexcludepatterns");
    // With `SCRATCHKIT_CHECKS=exec` the checks run as execs of this frontend's own image (analysis.rs);
    // else they read through the gateway, with a probe when copies take include patterns (BuildKit v0.9+).
    let analyzer = analysis::wanted(&inputs.build_args)
        .then(|| analysis::own_image(std::fs::read(analysis::FRONTEND_BIN).ok().as_deref(), options.get("source"), &build_platform))
        .flatten()
        .map(|image| analysis::Analyzer { image, inputs: inputs.clone(), build_platform: build_platform.clone() });
    if ctx.copy_excludes && analyzer.is_none() {
        ctx.probe = verify::planned_reads(&plan);
    }
    if !ctx.copy_excludes && plan.rootfs.iter().any(|p| matches!(p, Piece::Timezones(Zones::All))) {
        warnings.push(
            Diagnostic::warning(
                None,
                "this BuildKit (before v0.9) cannot leave files out of a copy: /usr/share/zoneinfo is copied with its `right/` tree, which doubles its size",
            )
            .hint("upgrade BuildKit (Docker Engine 23 or newer), or list the zones you need under `rootfs.timezones`"),
        );
    }
    ctx.resolve_mode = options.get("image-resolve-mode").filter(|m| !m.is_empty()).map(str::to_string);
    ctx.labels = options.labels();
    let spec = SpecText { text: &text, filename: &filename };
    let named = contexts::NamedContexts::from_options(options);
    let unknown = contexts::check_copies(&plan, &named);
    if unknown.has_errors() {
        return Err(Failure(unknown.render(&filename, &text)).into());
    }
    let sbom = sbom_generator(g, &caps, options, &plan, &ctx, &mut warnings);
    let copy_sources = join_all(plan.platforms.iter().map(|p| contexts::copy_sources(g, &plan, &named, options, p, ctx.resolve_mode.as_deref())));
    let ((builders, sbom), copy_sources) = join(join(resolve_builders(g, &plan, &ctx, &named, spec), sbom), copy_sources).await;
    let builders = builders?;
    let solving = Solving {
        no_cache: options.no_cache(),
        cache_imports: options.cache_imports().map_err(bad_cache_imports)?,
        sbom: sbom?,
        readdir: caps.frontend.contains("readdir"),
        analyzer,
    };
    // Each platform's builder is solved, checked and assembled on its own; BuildKit runs them side by side.
    let builds = plan.platforms.iter().zip(copy_sources).map(|(platform, named_contexts)| {
        let mut ctx = ctx.clone();
        ctx.named_contexts = named_contexts;
        if let Some((pinned, env)) = builders.get(&runs_on(&plan, &build_platform, platform)) {
            ctx.builder_ref = Some(pinned.clone());
            ctx.builder_env = env.clone();
        }
        build_one(g, &plan, ctx, platform, spec, &solving)
    });
    let results = join_all(builds).await;
    timings.builder = union_length(&results.iter().filter_map(|r| r.as_ref().ok().and_then(|b| b.built_during)).collect::<Vec<_>>());
    let mut images = Vec::new();
    for result in results {
        let one = result?;
        warnings.extend(one.warnings);
        images.push(one.image);
    }
    report_warnings(g, &caps, warnings, &spec_vertex, &filename, &text).await;
    Ok(Answer::Images(images, multi_platform(options, plan.platforms.len())))
}

/// How many characters of a client's option a message quotes: an option may be any size, and the
/// message is printed whole by buildx.
const QUOTED_OPTION: usize = 200;

fn bad_cache_imports(e: BadCacheImports) -> Failure {
    let escape = |s: &str| crate::diag::escape(s, QUOTED_OPTION);
    Failure(format!(
        "cannot read the cache-imports option `{}` ({} bytes): {}; pass `--cache-from type=registry,ref=<ref>` (buildx sends it as a JSON list)",
        escape(&e.option),
        e.option.len(),
        escape(&e.reason)
    ))
}

/// How the build's own solves are made: `--no-cache`, and the caches `--cache-from` names (BuildKit
/// imports a cache only into solves that carry it).
struct Solving {
    no_cache: bool,
    cache_imports: Vec<CacheImport>,
    /// The SBOM generator the frontend runs itself (`BUILDKIT_SBOM_SCAN_STAGE`/`_CONTEXT`), if any.
    sbom: Option<attestations::Generator>,
    /// The gateway can list directories (`ReadDir`): the image is checked.
    readdir: bool,
    /// Runs the checks as execs; `None`: through gateway requests.
    analyzer: Option<analysis::Analyzer>,
}

/// The SBOM generator to run with the build, when `--sbom` and a scan arg ask the frontend to scan more
/// than the image (see [`attestations`]).
async fn sbom_generator<G: Gateway>(
    g: &G,
    caps: &Caps,
    options: &Options,
    plan: &Plan,
    ctx: &Context,
    warnings: &mut Diagnostics,
) -> Result<Option<attestations::Generator>, Failure> {
    let declared = plan.builder.as_ref().map(|b| b.args.as_slice()).unwrap_or_default();
    match attestations::request(options, declared)? {
        Some(request) => attestations::generator(g, caps, request, ctx, warnings).await,
        None => Ok(None),
    }
}

/// The spec's text and name, for rendering diagnostics.
#[derive(Clone, Copy)]
struct SpecText<'a> {
    text: &'a str,
    filename: &'a str,
}

/// Where the builder of `platform`'s image runs.
fn runs_on(plan: &Plan, build_platform: &Platform, platform: &Platform) -> Platform {
    match plan.builder.as_ref().map(|b| b.runs_on) {
        Some(RunsOn::TargetPlatform) => platform.clone(),
        _ => build_platform.clone(),
    }
}

/// The builder image pinned to its digest, with its `Env`, for each platform a builder runs on.
async fn resolve_builders<G: Gateway>(
    g: &G,
    plan: &Plan,
    ctx: &Context,
    named: &contexts::NamedContexts,
    spec: SpecText<'_>,
) -> Result<BTreeMap<Platform, (String, Vec<String>)>, Failure> {
    if plan.builder.is_none() {
        return Ok(BTreeMap::new());
    }
    let mut wanted: Vec<Platform> = plan.platforms.iter().map(|p| runs_on(plan, &ctx.build_platform, p)).collect();
    wanted.sort();
    wanted.dedup();
    let resolved = join_all(wanted.iter().map(|p| resolve_builder(g, plan, named, spec, p, ctx.resolve_mode.as_deref()))).await;
    wanted.into_iter().zip(resolved).map(|(p, r)| r.map(|v| (p, v))).collect()
}

/// One platform's image, the warnings its checks raised, and when its builder built.
struct PlatformBuild {
    image: Built,
    warnings: Diagnostics,
    built_during: Option<Span>,
}

/// One platform's image: run the builder, check what it produced, then solve the image.
async fn build_one<G: Gateway>(
    g: &G,
    plan: &Plan,
    mut ctx: Context,
    platform: &Platform,
    spec: SpecText<'_>,
    solving: &Solving,
) -> Result<PlatformBuild, Failed> {
    let mut warnings = Diagnostics::default();
    let mut built_during = None;
    let mut lowered = lower::lower_platform(plan, &ctx, platform);
    let mut from_context = context_files(g, plan, &ctx, platform).await?;
    if lowered.builder.is_none() {
        // Without a builder, nothing else is checked: the context's files must need nothing.
        let found = std::mem::take(&mut from_context.diagnostics);
        if found.has_errors() {
            return Err(Failure(found.sorted().render(spec.filename, spec.text)).into());
        }
        warnings.extend(found);
    }
    let mut from_context = Some(from_context);
    if let (Some(builder), Some(analyzer)) = (&lowered.builder, &solving.analyzer) {
        let started = Instant::now();
        let from_context = from_context.take().unwrap_or_default();
        let (verified, verdict) =
            analysis::builder_verified(g, analyzer, spec, platform, builder, from_context, (solving.no_cache, &solving.cache_imports)).await?;
        built_during = Some((started, Instant::now()));
        ctx.verdict = Some(verdict);
        lowered = verified_lowering(plan, &mut ctx, platform, spec, verified, &mut warnings)?;
    } else if let Some(builder) = &lowered.builder {
        let builder_ref = g.solve(marshal(builder, solving.no_cache), &solving.cache_imports).await?;
        // The solve is lazy: the first stat runs the build. The probe's runs the builder as well, but
        // on a build whose steps are all cached it fetches only the probe's layer, not the builder image.
        let started = Instant::now();
        let probe_ref = match &lowered.probe {
            Some(probe) => solved_probe(g, probe, solving).await,
            None => None,
        };
        if probe_ref.is_none() {
            // So this is the build's own failure, if any.
            g.stat_file(&builder_ref, ".").await?;
        }
        built_during = Some((started, Instant::now()));
        let fs = match &probe_ref {
            Some(probe_ref) => BuilderFs::new(g, &builder_ref).with_probe(probe_ref, ctx.probe.clone()),
            None => {
                ctx.probe.clear(); // the image's copies take the paths from the builder too
                BuilderFs::new(g, &builder_ref)
            }
        };
        let verified = verify::builder_output_with(&fs, plan, platform, from_context.take().unwrap_or_default()).await?;
        ctx.probe_held = fs.held_by_name();
        lowered = verified_lowering(plan, &mut ctx, platform, spec, verified, &mut warnings)?;
    }
    let ref_id = g.solve(marshal(&lowered.image, solving.no_cache), &solving.cache_imports).await?;
    // What an old BuildKit cannot do, and the build warned about, is not held against the image: before
    // v0.9 a copy cannot leave Debian's dangling `zoneinfo/localtime` link out, and before v0.10 (no
    // MergeOp) file operations drop special bits (`/tmp` is 0777).
    let mut lost = Vec::new();
    if !ctx.copy_excludes {
        lost.extend(crate::plan::AbsPath::parse(&format!("{}/{}", crate::plan::ZONEINFO, lower::ZONE_LINK_OUT)));
    }
    if !ctx.merge {
        lost.extend(verify::image::special_bit_paths(plan));
    }
    let checked = if let Some(analyzer) = solving.analyzer.as_ref().filter(|_| !ref_id.is_empty()) {
        let accept = lost.iter().map(ToString::to_string).collect();
        analysis::image_checked(g, analyzer, spec, platform, &lowered.image, accept, (solving.no_cache, &solving.cache_imports)).await?
    } else if lost.is_empty() {
        check_image(g, &ref_id, plan, platform, spec, solving.readdir).await?
    } else {
        let mut plan = plan.clone();
        plan.image.accept.extend(lost.into_iter().map(|p| (p, crate::diag::Span::default())));
        check_image(g, &ref_id, &plan, platform, spec, solving.readdir).await?
    };
    warnings.extend(checked);
    let config = serde_json::to_vec(&lowered.config).map_err(|e| Failure(e.to_string()))?;
    let attestations = match &solving.sbom {
        Some(generator) => vec![generator.attest(g, &lowered, &ctx, solving.no_cache).await?],
        None => Vec::new(),
    };
    Ok(PlatformBuild { image: Built { platform: platform.clone(), ref_id, config, attestations }, warnings, built_during })
}

/// The image lowered again with what the builder's checks found, or their errors as the build's failure.
fn verified_lowering(
    plan: &Plan,
    ctx: &mut Context,
    platform: &Platform,
    spec: SpecText<'_>,
    verified: verify::Verified,
    warnings: &mut Diagnostics,
) -> Result<lower::Lowered, Failed> {
    let problems = verified.diagnostics;
    if problems.has_errors() {
        return Err(Failure(problems.sorted().render(spec.filename, spec.text)).into());
    }
    warnings.extend(problems);
    // The libraries become one more layer and absent data files are left out; lowering again is
    // cheap and keeps `lower` pure.
    ctx.libraries = verified.libraries;
    ctx.absent = verified.absent;
    ctx.packages = package_metadata(verified.packages);
    Ok(lower::lower_platform(plan, ctx, platform))
}

/// The assembled image, checked as its user will meet it (see [`verify::image`]); returns its warnings.
/// The image is built here (its first read), so a failing step is reported as BuildKit's own error.
/// Without `ReadDir` (no BuildKit has lacked it since v0.8) the image cannot be walked: the log says so.
///
/// The check is pure over [`verify::image::ImageFs`], so it can move into a cached `ExecOp` of
/// scratchkit's own static binary with the image mounted read-only (architecture.md, "Checking the
/// product"): a warm rebuild would then read only its verdict instead of walking the image here.
async fn check_image<G: Gateway>(g: &G, ref_id: &str, plan: &Plan, platform: &Platform, spec: SpecText<'_>, readdir: bool) -> Result<Diagnostics, Failed> {
    if ref_id.is_empty() {
        return Ok(Diagnostics::default());
    }
    if !readdir {
        eprintln!("scratchkit: this BuildKit has no ReadDir: the image for {platform} is not checked");
        return Ok(Diagnostics::default());
    }
    g.stat_file(ref_id, ".").await?;
    let started = Instant::now();
    let checked = verify::image::check(&image_fs::ImageRef::new(g, ref_id), plan, platform)
        .await
        .map_err(|e| Failure(format!("cannot check the image for {platform}: {e}")))?;
    eprintln!("scratchkit: image check for {platform}: {} entries, {} ELF files, {} ms", checked.entries, checked.elves, started.elapsed().as_millis());
    let found = checked.diagnostics;
    if found.has_errors() {
        return Err(Failure(found.sorted().render(spec.filename, spec.text)).into());
    }
    Ok(found)
}

/// What the files `copy` takes from the build context and named contexts need, read from each context
/// itself (the same vertex the image copies them from, so it is sent once).
async fn context_files<G: Gateway>(g: &G, plan: &Plan, ctx: &Context, platform: &Platform) -> Result<verify::context::FromContext, Failed> {
    let names = verify::context::contexts_copied_from(plan);
    let states: Vec<State> = names
        .iter()
        .map(|name| match name {
            None => lower::build_context(ctx),
            Some(n) => ctx.named_contexts.get(n).cloned().unwrap_or_else(|| lower::named_local(n, n, ctx.session_id.as_deref())),
        })
        .collect();
    let solved = join_all(states.iter().map(|s| g.solve(marshal(s, false), &[]))).await;
    let mut contexts = Vec::new();
    for (name, ref_id) in names.into_iter().zip(solved) {
        contexts.push((name, BuilderFs::new(g, &ref_id?)));
    }
    Ok(verify::context::context_files(plan, platform, &contexts).await)
}

/// The probe solved and built, or `None` when it failed: when a path the build needs is missing (the
/// checks then say which), when the builder failed (its own stat then reports it), or when BuildKit refuses
/// the probe itself. Either way the builder is read as before: a failed probe never fails the build.
async fn solved_probe<G: Gateway>(g: &G, probe: &State, solving: &Solving) -> Option<String> {
    let built = async {
        let probe_ref = g.solve(marshal(probe, solving.no_cache), &solving.cache_imports).await?;
        g.stat_file(&probe_ref, ".").await.map(|_| probe_ref)
    };
    match built.await {
        Ok(probe_ref) => Some(probe_ref),
        Err(e) => {
            eprintln!("scratchkit: the probe of the builder's output failed, reading the builder itself: {}", e.message);
            None
        }
    }
}

/// What verify found in the builder's dpkg database, as lowering takes it.
fn package_metadata(found: verify::packages::Metadata) -> lower::PackageMetadata {
    let packages =
        found.packages.into_iter().map(|p| lower::PackageFiles { name: p.name, stanza: p.stanza, md5sums: p.md5sums, copyright: p.copyright }).collect();
    lower::PackageMetadata { packages, os_release: found.os_release }
}

/// Sends each warning once through the gateway where BuildKit can show it; the daemon log gets them too.
async fn report_warnings<G: Gateway>(g: &G, caps: &Caps, warnings: Diagnostics, vertex: &str, filename: &str, text: &str) {
    if warnings.items.is_empty() {
        return;
    }
    eprint!("{}", warnings.render(filename, text));
    if !caps.frontend.contains("gateway.warnings") {
        return;
    }
    let mut seen = std::collections::BTreeSet::new();
    // What BuildKit echoes goes to a terminal: hidden characters escaped, as many warnings as we render.
    let source = crate::diag::escape_source(text);
    for d in warnings.items {
        if !seen.insert((d.message.clone(), d.span)) {
            continue; // the same warning from each platform's checks
        }
        if seen.len() > crate::diag::MAX_SHOWN {
            break;
        }
        let (line, column) = d.span.map_or((1, 1), |s| (s.line, s.column));
        let w = Warning {
            vertex: vertex.to_string(),
            message: crate::diag::escape(&d.message, crate::diag::MAX_MESSAGE),
            hint: d.hint.map(|h| crate::diag::escape(&h, crate::diag::MAX_MESSAGE)),
            filename: filename.to_string(),
            source: source.clone(),
            line,
            column,
        };
        if let Err(e) = g.warn(&w).await {
            eprintln!("scratchkit: cannot send a warning: {e}");
            return;
        }
    }
}

/// Marshals with the options the build asked for.
fn marshal(state: &State, no_cache: bool) -> crate::proto::pb::Definition {
    state.marshal(&crate::llb::MarshalOptions { ignore_cache: no_cache })
}

fn requested_platforms(options: &Options) -> Result<Vec<Platform>, Failure> {
    match options.get("platform").filter(|p| !p.is_empty()) {
        None => Ok(Vec::new()),
        Some(list) => list.split(',').map(|p| Platform::parse(p).map_err(Failure)).collect(),
    }
}

fn multi_platform(options: &Options, count: usize) -> bool {
    let truthy = |v: Option<&str>| matches!(v, Some("true" | "1"));
    count > 1 || truthy(options.get("multi-platform")) || truthy(options.get("build-arg:BUILDKIT_MULTI_PLATFORM"))
}

/// The spec is not sent to a forwarded frontend: solve the `dockerfile` local for just that file and read it.
/// Returns the text and the digest of the vertex that loaded it (warnings attach there).
async fn read_spec<G: Gateway>(g: &G, options: &Options, filename: &str) -> Result<(String, String), Failure> {
    let mut attrs = BTreeMap::new();
    attrs.insert("local.followpaths".to_string(), serde_json::json!([filename]).to_string());
    attrs.insert("local.sharedkeyhint".to_string(), "dockerfile".to_string());
    if let Some(s) = &options.session_id {
        attrs.insert("local.session".to_string(), s.clone());
    }
    let local = State::local(&options.spec_local(), attrs).named(format!("[internal] load spec {filename}"));
    let def = marshal(&local, false);
    let vertex = def.def.first().map(|op| crate::llb::digest_of(op)).unwrap_or_default();
    let ref_id = g.solve(def, &[]).await?;
    // At most one byte past the limit, so a huge file is refused without being read.
    let limit = crate::compile::MAX_SPEC_BYTES as u64 + 1;
    let bytes = g.read_range(&ref_id, filename, 0, limit).await.map_err(|e| Failure(format!("failed to read spec {filename}: {e}")))?;
    let text = crate::compile::decode(&bytes, filename).map_err(|e| Failure(e.rendered))?;
    Ok((text, vertex))
}

/// `.dockerignore` at the context root, if there is one.
async fn read_dockerignore<G: Gateway>(g: &G, options: &Options) -> Vec<String> {
    read_dockerignore_of(g, &options.context_local(), options.session_id.as_deref()).await
}

/// `.dockerignore` at the root of the client's local `local`, if there is one.
async fn read_dockerignore_of<G: Gateway>(g: &G, local: &str, session: Option<&str>) -> Vec<String> {
    let mut attrs = BTreeMap::new();
    attrs.insert("local.followpaths".to_string(), serde_json::json!([".dockerignore"]).to_string());
    let (hint, name) = if local == "context" {
        ("context".to_string(), "[internal] load .dockerignore".to_string())
    } else {
        (format!("context:{local}-.dockerignore"), format!("[context {local}] load .dockerignore"))
    };
    attrs.insert("local.sharedkeyhint".to_string(), hint);
    if let Some(s) = session {
        attrs.insert("local.session".to_string(), s.to_string());
    }
    let local = State::local(local, attrs).named(name);
    let Ok(ref_id) = g.solve(marshal(&local, false), &[]).await else {
        return Vec::new();
    };
    match g.read_file(&ref_id, ".dockerignore").await {
        Ok(bytes) => parse_dockerignore(&String::from_utf8_lossy(&bytes)),
        Err(_) => Vec::new(),
    }
}

/// Resolves the builder image to a digest and its `Env`, so execs get the image's PATH.
/// A `--build-context` named like the builder image replaces it: that image is resolved, pinned and its
/// `Env` used instead.
async fn resolve_builder<G: Gateway>(
    g: &G,
    plan: &Plan,
    named: &contexts::NamedContexts,
    spec: SpecText<'_>,
    platform: &Platform,
    resolve_mode: Option<&str>,
) -> Result<(String, Vec<String>), Failure> {
    let Some(b) = &plan.builder else {
        return Ok((String::new(), Vec::new()));
    };
    let located = |d: Diagnostic| Failure(Diagnostics::one(d).render(spec.filename, spec.text));
    let (image, replaced_by) = match named.for_image(&b.image, platform) {
        None => (b.image.clone(), None),
        Some((key, contexts::Location::Image(r))) if r != "scratch" => (r, Some(key)),
        Some((key, other)) => return Err(located(contexts::not_an_image(b.image_span, &b.image, &key, &other))),
    };
    let normalized = reference::normalize(&image);
    let resolved = match g.resolve_image_config(&normalized, platform, resolve_mode.unwrap_or("default")).await {
        Ok(r) => r,
        Err(e) => {
            let (message, hint) = match &replaced_by {
                None => (
                    format!("cannot resolve builder image `{}` for {platform}: {e}", b.image),
                    "check the name and tag; with no registry access the image must already be in the builder's image store".to_string(),
                ),
                Some(key) => (
                    format!("cannot resolve `{image}`, which `--build-context {key}=…` puts in place of the builder image `{}`, for {platform}: {e}", b.image),
                    format!("check the reference after `{key}=docker-image://`"),
                ),
            };
            return Err(located(Diagnostic::error(b.image_span, message).hint(hint)));
        }
    };
    let env = serde_json::from_slice::<serde_json::Value>(&resolved.config)
        .ok()
        .and_then(|c| c.pointer("/config/Env").cloned())
        .and_then(|e| serde_json::from_value::<Vec<String>>(e).ok())
        .unwrap_or_default();
    let pinned = if resolved.digest.is_empty() { normalized } else { reference::pin(&image, &resolved.digest) };
    Ok((pinned, env))
}

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

use crate::rules::codes::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{join, join_all};

use crate::compile::compile;
use crate::diag::{Diagnostic, Diagnostics};
use crate::gateway::{
    parse_dockerignore, BadOption, Built, CacheImport, Caps, Gateway, GatewayError, Options, Request, Warning,
};
use crate::llb::{EnvList, LocalOptions, SourceFile, State};
use crate::lower::{self, BuildInputs, PlatformInputs};
use crate::plan::{Found, Piece, Plan, PlanInputs, RunsOn, Zones};
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
    let answered = match Request::parse(options) {
        Ok(request) => answer(g, &request, &mut timings).await,
        Err(bad) => Err(bad_option(bad).into()),
    };
    match answered {
        Ok(Answer::Images(images, multi)) => g.return_images(images, multi).await?,
        Ok(Answer::Metadata(md)) => g.return_metadata(md).await?,
        Err(Failed { message, details }) => g.return_error(message, details).await?,
    }
    Ok(timings)
}

/// Why a BuildKit before v0.10 is refused. Measured on Debian 12's docker.io 20.10 (BuildKit v0.8): its file
/// operations drop the sticky bit, so `/tmp` would be world-writable without it (anyone could delete or
/// replace another user's files there), and copies cannot exclude files.
const OLD_BUILDKIT: &str = "scratchkit needs BuildKit v0.10 or newer (Docker Engine 23 or newer); this one has no MergeOp. \
On older BuildKit (Debian 12's docker.io 20.10 has v0.8) file operations drop the sticky bit, so the image's /tmp would be 0777 instead of 1777. \
Upgrade Docker or BuildKit, or build anyway with --build-arg SCRATCHKIT_ALLOW_OLD_BUILDKIT=true";

/// The build, phase by phase: what BuildKit can do and was asked, the spec, its plan, what lowering needs
/// per build, what it needs per platform, then each platform's image.
async fn answer<G: Gateway>(g: &G, request: &Request, timings: &mut Timings) -> Result<Answer, Failed> {
    let caps = g.ping().await?;
    if let Some(early) = screen(&caps, request)? {
        return Ok(early);
    }
    let (loaded, excludes) = read_inputs(g, request).await?;
    let spec = SpecText { text: &loaded.text, filename: &request.filename };
    let build_platform = caps.worker_platforms.first().cloned().unwrap_or_else(Platform::linux_amd64);
    let inputs = plan_inputs(request, &build_platform);
    if let Some(subrequest) = &request.subrequest {
        return Ok(Answer::Metadata(subrequests::answer(subrequest, spec.text, spec.filename, &inputs)));
    }
    let compiled = compile(spec.text, spec.filename, &inputs)?;
    let (plan, mut warnings) = (compiled.plan, compiled.warnings);
    let build = build_inputs(&caps, request, build_platform, spec, excludes, &plan, &mut warnings);
    let prepared = prepare(g, &caps, request, &plan, &build, spec, &mut warnings).await?;
    let images = build_platforms(g, &plan, &build, prepared, spec, timings, &mut warnings).await?;
    report_warnings(g, &caps, warnings, &loaded.vertex, spec.filename, spec.text).await;
    Ok(Answer::Images(images, request.multi_platform || plan.platforms.len() > 1))
}

/// What is answered before the spec is read: an unknown subrequest (buildx matches on the text to fall
/// back), `describe`, and a BuildKit too old to build on.
fn screen(caps: &Caps, request: &Request) -> Result<Option<Answer>, Failed> {
    match request.subrequest.as_deref() {
        Some(sub) if !subrequests::KNOWN.contains(&sub) => Err(Failure(format!("unsupported request {sub}")).into()),
        Some(subrequests::DESCRIBE) => Ok(Some(Answer::Metadata(subrequests::describe()))),
        Some(_) => Ok(None),
        None if !caps.has_llb("mergeop") && !request.allow_old_buildkit => {
            Err(Failure(OLD_BUILDKIT.to_string()).into())
        }
        None => Ok(None),
    }
}

/// The spec, read from the client.
struct LoadedSpec {
    text: String,
    /// The digest of the vertex that loaded it: warnings attach there.
    vertex: String,
}

/// The spec and the build context's `.dockerignore` live in different locals: both are fetched at once (a
/// subrequest needs no context).
async fn read_inputs<G: Gateway>(g: &G, request: &Request) -> Result<(LoadedSpec, Vec<String>), Failed> {
    let dockerignore = async {
        match request.subrequest {
            None => read_dockerignore(g, request).await,
            Some(_) => Vec::new(),
        }
    };
    let (spec, excludes) = join(read_spec(g, request, &request.filename), dockerignore).await;
    let (text, vertex) = spec?;
    Ok((LoadedSpec { text, vertex }, excludes))
}

/// What planning takes from the request.
fn plan_inputs(request: &Request, build_platform: &Platform) -> PlanInputs {
    PlanInputs {
        build_args: request.build_args.clone(),
        platforms: request.platforms.clone(),
        default_platform: Some(build_platform.clone()),
        target: request.target.clone(),
    }
}

/// What lowering needs once per build: BuildKit's caps, the request's settings, the context's excludes
/// and the source map. What an old BuildKit cannot do is warned about here.
fn build_inputs(
    caps: &Caps,
    request: &Request,
    build_platform: Platform,
    spec: SpecText<'_>,
    context_excludes: Vec<String>,
    plan: &Plan,
    warnings: &mut Diagnostics,
) -> BuildInputs {
    let build = BuildInputs {
        build_platform,
        merge: caps.has_llb("mergeop"),
        copy_excludes: caps.has_llb("file.copy.includeexcludepatterns"),
        resolve_mode: request.resolve_mode.map(|m| m.as_str().to_string()),
        context: lower::context_options(request.session(request.context_local()), context_excludes),
        labels: request.labels.clone(),
        // A source map: BuildKit shows a failing step with its spec lines, as it does for a Dockerfile.
        source: Some(Arc::new(SourceFile {
            filename: spec.filename.to_string(),
            data: spec.text.as_bytes().to_vec(),
            language: "yaml".into(),
        })),
    };
    warn_old_buildkit(&build, plan, warnings);
    build
}

fn warn_old_buildkit(build: &BuildInputs, plan: &Plan, warnings: &mut Diagnostics) {
    if !build.merge {
        warnings.push(
            Diagnostic::warning(SK406, None, "this BuildKit has no MergeOp (before v0.10): the layers are stacked as a chain, and file modes may lose their special bits (BuildKit v0.8 gives /tmp 0777, not 1777)")
                .hint("upgrade to BuildKit v0.10 or newer (Docker Engine 23 or newer)"),
        );
    }
    if !build.copy_excludes && plan.rootfs.iter().any(|p| matches!(p, Piece::Timezones(Zones::All))) {
        warnings.push(
            Diagnostic::warning(
                SK407,
                None,
                "this BuildKit (before v0.9) cannot leave files out of a copy: /usr/share/zoneinfo is copied with its `right/` tree, which doubles its size",
            )
            .hint("upgrade BuildKit (Docker Engine 23 or newer), or list the zones you need under `rootfs.timezones`"),
        );
    }
}

/// Everything resolved before any platform is built.
struct Prepared {
    /// By target platform, in the plan's order.
    per_platform: Vec<PlatformInputs>,
    /// Before the checks: the builder paths the probe holds.
    planned: Found,
    solving: Solving,
}

/// Resolves, side by side, what lowering needs per platform (the builder image where it runs, the named
/// contexts) and the SBOM generator; refuses copies from contexts that were not passed.
async fn prepare<G: Gateway>(
    g: &G,
    caps: &Caps,
    request: &Request,
    plan: &Plan,
    build: &BuildInputs,
    spec: SpecText<'_>,
    warnings: &mut Diagnostics,
) -> Result<Prepared, Failed> {
    let named = contexts::NamedContexts::from_request(request);
    let unknown = contexts::check_copies(plan, &named);
    if unknown.has_errors() {
        return Err(Failure(unknown.render(spec.filename, spec.text)).into());
    }
    let sbom = sbom_generator(g, caps, request, plan, build, warnings);
    let copy_sources = join_all(
        plan.platforms
            .iter()
            .map(|p| contexts::copy_sources(g, plan, &named, request, p, build.resolve_mode.as_deref())),
    );
    let ((builders, sbom), copy_sources) =
        join(join(resolve_builders(g, plan, build, &named, spec), sbom), copy_sources).await;
    let builders = builders?;
    let per_platform = plan.platforms.iter().zip(copy_sources).map(|(platform, named_contexts)| {
        let (builder_ref, builder_env) = builders.get(&runs_on(plan, &build.build_platform, platform)).cloned().unzip();
        PlatformInputs { builder_ref, builder_env: builder_env.unwrap_or_default(), named_contexts, verdict: None }
    });
    let analyzer = analysis::choose(request, caps, plan_inputs(request, &build.build_platform), &build.build_platform);
    // The probe's reads use include patterns (BuildKit v0.9+); older ones read the builder itself. With the
    // checks in an exec, nothing reads the builder through the gateway: the probe holds only the copies'
    // sources, for the image's copies.
    let planned = Found::planned(match (build.copy_excludes, &analyzer) {
        (false, _) => Vec::new(),
        (true, None) => verify::planned_reads(plan),
        (true, Some(_)) => verify::copy_reads(plan),
    });
    let solving = Solving {
        no_cache: request.no_cache,
        cache_imports: request.cache_imports.clone(),
        sbom: sbom?,
        readdir: caps.frontend.contains("readdir"),
        analyzer,
    };
    Ok(Prepared { per_platform: per_platform.collect(), planned, solving })
}

/// Each platform's builder is solved, checked and assembled on its own; BuildKit runs them side by side.
async fn build_platforms<G: Gateway>(
    g: &G,
    plan: &Plan,
    build: &BuildInputs,
    prepared: Prepared,
    spec: SpecText<'_>,
    timings: &mut Timings,
    warnings: &mut Diagnostics,
) -> Result<Vec<Built>, Failed> {
    let Prepared { per_platform, planned, solving } = prepared;
    let shared = Shared { plan, build, planned: &planned, spec, solving: &solving };
    let builds =
        plan.platforms.iter().zip(per_platform).map(|(platform, inputs)| build_one(g, &shared, inputs, platform));
    let results = join_all(builds).await;
    timings.builder =
        union_length(&results.iter().filter_map(|r| r.as_ref().ok().and_then(|b| b.built_during)).collect::<Vec<_>>());
    let mut images = Vec::new();
    for result in results {
        let one = result?;
        warnings.extend(one.warnings);
        images.push(one.image);
    }
    Ok(images)
}

/// How many characters of a client's option a message quotes: an option may be any size, and the
/// message is printed whole by buildx.
const QUOTED_OPTION: usize = 200;

/// What is wrong with an option, and what to pass instead.
fn bad_option(bad: BadOption) -> Failure {
    let escape = |s: &str| crate::diag::escape(s, QUOTED_OPTION);
    Failure(match bad {
        BadOption::CacheImports { option, reason } => format!(
            "cannot read the cache-imports option `{}` ({} bytes): {}; pass `--cache-from type=registry,ref=<ref>` (buildx sends it as a JSON list)",
            escape(&option),
            option.len(),
            escape(&reason)
        ),
        BadOption::Platform(message) => message,
        BadOption::ResolveMode(mode) => format!("image-resolve-mode `{}` is not a resolve mode: use default, pull or local", escape(&mode)),
        BadOption::MultiPlatform(value) => format!("multi-platform `{}` is not a boolean: use true or false", escape(&value)),
        BadOption::SbomDisabled(value) => format!("--sbom has disabled={}: use true or false", crate::diag::escape(&value, 64)),
        BadOption::SbomEmptyGenerator => "--sbom names an empty generator: give `--sbom=generator=<image>`".to_string(),
        BadOption::Checks(value) => format!("--build-arg SCRATCHKIT_CHECKS=`{}` is not where checks run: use exec or gateway, or leave it unset", escape(&value)),
    })
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
    request: &Request,
    plan: &Plan,
    build: &BuildInputs,
    warnings: &mut Diagnostics,
) -> Result<Option<attestations::Generator>, Failure> {
    let declared = plan.builder.as_ref().map(|b| b.args.as_slice()).unwrap_or_default();
    match attestations::request(request, declared)? {
        Some(sbom) => attestations::generator(g, caps, sbom, build, warnings).await,
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
    build: &BuildInputs,
    named: &contexts::NamedContexts,
    spec: SpecText<'_>,
) -> Result<BTreeMap<Platform, (String, EnvList)>, Failure> {
    if plan.builder.is_none() {
        return Ok(BTreeMap::new());
    }
    let mut wanted: Vec<Platform> = plan.platforms.iter().map(|p| runs_on(plan, &build.build_platform, p)).collect();
    wanted.sort();
    wanted.dedup();
    let resolved =
        join_all(wanted.iter().map(|p| resolve_builder(g, plan, named, spec, p, build.resolve_mode.as_deref()))).await;
    wanted.into_iter().zip(resolved).map(|(p, r)| r.map(|v| (p, v))).collect()
}

/// What every platform's build reads: the plan, the per-build inputs of lowering, what the checks read
/// before they have run, the spec (for messages) and how to solve.
#[derive(Clone, Copy)]
struct Shared<'a> {
    plan: &'a Plan,
    build: &'a BuildInputs,
    planned: &'a Found,
    spec: SpecText<'a>,
    solving: &'a Solving,
}

/// One platform's image, the warnings its checks raised, and when its builder built.
struct PlatformBuild {
    image: Built,
    warnings: Diagnostics,
    built_during: Option<Span>,
}

/// One platform's image: lower, check what the builder produced, lower again with what the checks found
/// (the libraries become one more layer, absent data files are left out: lowering again is cheap and
/// keeps `lower` pure), then solve and check the image.
async fn build_one<G: Gateway>(
    g: &G,
    shared: &Shared<'_>,
    inputs: PlatformInputs,
    platform: &Platform,
) -> Result<PlatformBuild, Failed> {
    let Shared { plan, build, planned, spec, solving } = *shared;
    let first = lower::lower_platform(plan, build, &inputs, planned, platform);
    let mut from_context = context_files(g, plan, build, &inputs, platform).await?;
    let (lowered, warnings, built_during) = match &first.builder {
        None => {
            // Without a builder, nothing else is checked: the context's files must need nothing.
            let found = std::mem::take(&mut from_context.diagnostics);
            (first, fail_on_errors(found, spec)?, None)
        }
        Some(builder) => {
            let checked = match &solving.analyzer {
                Some(analyzer) => {
                    let probe = planned.probe.clone();
                    check_builder_in_exec(g, analyzer, builder, platform, from_context, (spec, probe), solving).await?
                }
                None => check_builder(g, shared, builder, first.probe.as_ref(), platform, from_context).await?,
            };
            let inputs = PlatformInputs { verdict: checked.verdict, ..inputs };
            (
                lower::lower_platform(plan, build, &inputs, &checked.found, platform),
                checked.warnings,
                Some(checked.built_during),
            )
        }
    };
    let (ref_id, checked) = solve_image(g, shared, &lowered, platform).await?;
    let config = serde_json::to_vec(&lowered.config).map_err(|e| Failure(e.to_string()))?;
    let attestations = match &solving.sbom {
        Some(generator) => vec![generator.attest(g, &lowered, build, solving.no_cache).await?],
        None => Vec::new(),
    };
    let mut all = warnings;
    all.extend(checked);
    Ok(PlatformBuild {
        image: Built { platform: platform.clone(), ref_id, config, attestations },
        warnings: all,
        built_during,
    })
}

/// The diagnostics as warnings, or, when one is an error, all of them as the build's failure.
fn fail_on_errors(found: Diagnostics, spec: SpecText<'_>) -> Result<Diagnostics, Failed> {
    if found.has_errors() {
        return Err(Failure(found.sorted().render(spec.filename, spec.text)).into());
    }
    Ok(found)
}

/// What the checks of one platform's builder output found, their warnings, and when the builder built.
struct CheckedBuilder {
    found: Found,
    warnings: Diagnostics,
    built_during: Span,
    /// The exec that checked it, when one did: the image's graph takes it in (`lower::analysis::tie`).
    verdict: Option<State>,
}

/// Runs the builder and checks what it produced in an exec of this frontend's image (`analysis`).
async fn check_builder_in_exec<G: Gateway>(
    g: &G,
    analyzer: &analysis::Analyzer,
    builder: &State,
    platform: &Platform,
    from_context: verify::context::FromContext,
    (spec, probe): (SpecText<'_>, Vec<crate::plan::BuilderRead>),
    solving: &Solving,
) -> Result<CheckedBuilder, Failed> {
    let started = Instant::now();
    let (verified, held, verdict) = analysis::builder_verified(
        g,
        analyzer,
        spec,
        platform,
        builder,
        from_context,
        (solving.no_cache, &solving.cache_imports),
    )
    .await?;
    let built_during = (started, Instant::now());
    // The probe of the image's copies: what the builder has as regular files, where two share a directory.
    let probe = verify::shared_directories_only(probe.into_iter().filter(|r| held.contains(&r.path)).collect());
    let (found, diagnostics) = verified.into_found(probe, held);
    Ok(CheckedBuilder { found, warnings: fail_on_errors(diagnostics, spec)?, built_during, verdict: Some(verdict) })
}

/// Runs the builder (through the probe when there is one) and checks what it produced.
async fn check_builder<G: Gateway>(
    g: &G,
    shared: &Shared<'_>,
    builder: &State,
    probe: Option<&State>,
    platform: &Platform,
    from_context: verify::context::FromContext,
) -> Result<CheckedBuilder, Failed> {
    let Shared { plan, planned, spec, solving, .. } = *shared;
    let builder_ref = g.solve(marshal(builder, solving.no_cache), &solving.cache_imports).await?;
    // The solve is lazy: the first stat runs the build. The probe's runs the builder as well, but on a
    // build whose steps are all cached it fetches only the probe's layer, not the builder image.
    let started = Instant::now();
    let probe_ref = match probe {
        Some(probe) => solved_probe(g, probe, solving).await,
        None => None,
    };
    if probe_ref.is_none() {
        // So this is the build's own failure, if any.
        g.stat_file(&builder_ref, ".").await?;
    }
    let built_during = (started, Instant::now());
    let (fs, probe) = match &probe_ref {
        Some(probe_ref) => {
            (BuilderFs::new(g, &builder_ref).with_probe(probe_ref, planned.probe.clone()), planned.probe.clone())
        }
        // The image's copies take the paths from the builder too.
        None => (BuilderFs::new(g, &builder_ref), Vec::new()),
    };
    let verified = verify::builder_output_with(&fs, plan, platform, from_context).await?;
    let (found, diagnostics) = verified.into_found(probe, fs.held_by_name());
    Ok(CheckedBuilder { found, warnings: fail_on_errors(diagnostics, spec)?, built_during, verdict: None })
}

/// Solves the image and checks it; returns its ref and the check's warnings. What an old BuildKit cannot
/// do, and the build warned about, is not held against the image: before v0.9 a copy cannot leave
/// Debian's dangling `zoneinfo/localtime` link out, and before v0.10 (no MergeOp) file operations drop
/// special bits (`/tmp` is 0777).
async fn solve_image<G: Gateway>(
    g: &G,
    shared: &Shared<'_>,
    lowered: &lower::Lowered,
    platform: &Platform,
) -> Result<(String, Diagnostics), Failed> {
    let Shared { plan, build, spec, solving, .. } = *shared;
    let mut lost = Vec::new();
    if !build.copy_excludes {
        lost.extend(crate::plan::AbsPath::parse(&format!("{}/{}", crate::plan::ZONEINFO, lower::ZONE_LINK_OUT)));
    }
    if !build.merge {
        lost.extend(verify::image::special_bit_paths(plan));
    }
    let solve = g.solve(marshal(&lowered.image, solving.no_cache), &solving.cache_imports);
    if let Some(analyzer) = solving.analyzer.as_ref().filter(|_| !lowered.image.is_scratch()) {
        // Side by side: the image's ref and its check (which builds the image) are one round trip on a
        // no-change rebuild, not two.
        let accept = lost.iter().map(ToString::to_string).collect();
        let check = (solving.no_cache, solving.cache_imports.as_slice());
        let checked = analysis::image_checked(g, analyzer, spec, platform, &lowered.image, accept, check);
        let (ref_id, checked) = join(solve, checked).await;
        return Ok((ref_id?, checked?));
    }
    let ref_id = solve.await?;
    let checked = if lost.is_empty() {
        check_image(g, &ref_id, plan, platform, spec, solving.readdir).await?
    } else {
        let mut plan = plan.clone();
        plan.image.accept.extend(lost.into_iter().map(|p| (p, crate::diag::Span::default())));
        check_image(g, &ref_id, &plan, platform, spec, solving.readdir).await?
    };
    Ok((ref_id, checked))
}

/// The assembled image, checked as its user will meet it (see [`verify::image`]); returns its warnings.
/// The image is built here (its first read), so a failing step is reported as BuildKit's own error.
/// Without `ReadDir` (no BuildKit has lacked it since v0.8) the image cannot be walked: the log says so.
///
/// The check is pure over [`verify::image::ImageFs`], so it can move into a cached `ExecOp` of
/// scratchkit's own static binary with the image mounted read-only (architecture.md, "Checking the
/// product"): a warm rebuild would then read only its verdict instead of walking the image here.
async fn check_image<G: Gateway>(
    g: &G,
    ref_id: &str,
    plan: &Plan,
    platform: &Platform,
    spec: SpecText<'_>,
    readdir: bool,
) -> Result<Diagnostics, Failed> {
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
    eprintln!(
        "scratchkit: image check for {platform}: {} entries, {} ELF files, {} ms",
        checked.entries,
        checked.elves,
        started.elapsed().as_millis()
    );
    let found = checked.diagnostics;
    if found.has_errors() {
        return Err(Failure(found.sorted().render(spec.filename, spec.text)).into());
    }
    Ok(found)
}

/// What the files `copy` takes from the build context and named contexts need, read from each context
/// itself (the same vertex the image copies them from, so it is sent once).
async fn context_files<G: Gateway>(
    g: &G,
    plan: &Plan,
    build: &BuildInputs,
    inputs: &PlatformInputs,
    platform: &Platform,
) -> Result<verify::context::FromContext, Failed> {
    let names = verify::context::contexts_copied_from(plan);
    let states: Vec<State> = names
        .iter()
        .map(|name| match name {
            None => lower::build_context(build),
            Some(n) => inputs
                .named_contexts
                .get(n)
                .cloned()
                .unwrap_or_else(|| lower::named_local(n, n, build.context.session.as_deref(), &[])),
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
            eprintln!(
                "scratchkit: the probe of the builder's output failed, reading the builder itself: {}",
                e.message
            );
            None
        }
    }
}

/// Sends each warning once through the gateway where BuildKit can show it; the daemon log gets them too.
async fn report_warnings<G: Gateway>(
    g: &G,
    caps: &Caps,
    warnings: Diagnostics,
    vertex: &str,
    filename: &str,
    text: &str,
) {
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
    // A note is for the log: buildx would count it as a warning.
    for d in warnings.items.into_iter().filter(|d| d.severity != crate::diag::Severity::Note) {
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

/// The spec is not sent to a forwarded frontend: solve the `dockerfile` local for just that file and read it.
/// Returns the text and the digest of the vertex that loaded it (warnings attach there).
async fn read_spec<G: Gateway>(g: &G, options: &Request, filename: &str) -> Result<(String, String), Failure> {
    let local = LocalOptions {
        session: options.session(&options.spec_local).map(str::to_string),
        shared_key_hint: Some("dockerfile".to_string()),
        follow_paths: vec![filename.to_string()],
        ..LocalOptions::default()
    };
    let local = State::local(&options.spec_local, &local).named(format!("[internal] load spec {filename}"));
    let def = marshal(&local, false);
    let vertex = def.def.first().map(|op| crate::llb::digest_of(op)).unwrap_or_default();
    let ref_id = g.solve(def, &[]).await?;
    // At most one byte past the limit, so a huge file is refused without being read.
    let limit = crate::compile::MAX_SPEC_BYTES as u64 + 1;
    let bytes = g
        .read_range(&ref_id, filename, 0, limit)
        .await
        .map_err(|e| Failure(format!("failed to read spec {filename}: {e}")))?;
    let text = crate::compile::decode(&bytes, filename).map_err(|e| Failure(e.rendered))?;
    Ok((text, vertex))
}

/// `.dockerignore` at the context root, if there is one.
async fn read_dockerignore<G: Gateway>(g: &G, options: &Request) -> Vec<String> {
    read_dockerignore_of(g, options.context_local(), options.session(options.context_local())).await
}

/// `.dockerignore` at the root of the client's local `local`, if there is one.
async fn read_dockerignore_of<G: Gateway>(g: &G, local: &str, session: Option<&str>) -> Vec<String> {
    let local = lower::dockerignore_local(local, session);
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
) -> Result<(String, EnvList), Failure> {
    let Some(b) = &plan.builder else {
        return Ok((String::new(), EnvList::default()));
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
            return Err(located(Diagnostic::error(SK408, b.image_span, message).hint(hint)));
        }
    };
    let env = serde_json::from_slice::<serde_json::Value>(&resolved.config)
        .ok()
        .and_then(|c| c.pointer("/config/Env").cloned())
        .and_then(|e| serde_json::from_value::<Vec<String>>(e).ok())
        .unwrap_or_default();
    let env = EnvList::parse(env);
    let pinned = if resolved.digest.is_empty() { normalized } else { reference::pin(&image, &resolved.digest) };
    Ok((pinned, env))
}

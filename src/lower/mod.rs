//! Plan → LLB: the builder stage, one vertex per rootfs piece, the application layer, the final
//! scratch stage, and the image config. Pure: what the gateway resolved comes in through [`Context`].

pub mod analysis;
mod builder;
mod config;
pub mod probe;
mod rootfs;

use std::collections::{BTreeMap, BTreeSet};

pub use config::{image_config, ImageConfig, RootFs, RunConfig};
pub use rootfs::ZONE_LINK_OUT;

use std::sync::Arc;

use crate::diag::Span;
use crate::llb::{CopyOptions, FileAction, SourceFile, SourceLocation, State};
use crate::plan::{in_probe, BuilderRead, Plan, Source, Target};
use crate::platform::Platform;

/// What lowering needs from outside the plan (filled by the gateway, or by the CLI with defaults).
#[derive(Clone, Debug)]
pub struct Context {
    /// The platform BuildKit runs on; the builder runs here unless the spec says `platform: target`.
    pub build_platform: Platform,
    /// The builder image reference to use (normalized, ideally pinned to a digest).
    pub builder_ref: Option<String>,
    /// `Env` of the builder image's config, `NAME=value`.
    pub builder_env: Vec<String>,
    /// `image-resolve-mode` (`default`, `pull`, `local`).
    pub resolve_mode: Option<String>,
    /// `BUILDKIT_SESSION_ID`: the client session that serves the `context` local.
    pub session_id: Option<String>,
    /// `.dockerignore` patterns of the build context.
    pub context_excludes: Vec<String>,
    /// Whether BuildKit has MergeOp; without it the pieces are stacked as a chain of file ops.
    pub merge: bool,
    /// Copies may exclude files (LLB cap `file.copy.includeexcludepatterns`, BuildKit v0.9+).
    pub copy_excludes: bool,
    /// Builder files the dynamic binaries need (interpreter, libraries, ld.so.cache), found by `verify`.
    pub libraries: Vec<String>,
    /// Image labels given outside the spec (`--label`); they win over `image.labels`.
    pub labels: Vec<(String, String)>,
    /// The spec file, when ops should point back into it (a source map: BuildKit shows the lines of a
    /// failing step).
    pub source: Option<Arc<SourceFile>>,
    /// Data files (`/etc/services`, ...) the builder does not have, found by `verify`: left out.
    pub absent: Vec<String>,
    /// The builder packages whose files the image has, found by `verify` (`rootfs.package-metadata`).
    pub packages: PackageMetadata,
    /// The named contexts `context:NAME:path` copies read (`--build-context`); a name not here is read
    /// from the client's local directory of that name, which is what buildx sends for `NAME=./dir`.
    pub named_contexts: BTreeMap<String, State>,
    /// The builder paths to read through a probe state (`verify::planned_reads`); empty: no probe, the
    /// checks and copies read the builder itself.
    pub probe: Vec<BuilderRead>,
    /// The builder paths looked for by name in the probe that the checks found there as themselves (see
    /// `BuilderRead::by_name`): the image's copies of those take them from the probe; of the other such
    /// reads (a symlink there, copied as the link), from the builder.
    pub probe_held: BTreeSet<String>,
    /// The builder's verdict, when an exec checked it: tied into the application layer (`analysis::tie`).
    pub verdict: Option<State>,
}

/// What scanners read to see the builder packages in the image, the way distroless writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageMetadata {
    pub packages: Vec<PackageFiles>,
    /// The builder's os-release, copied to `/etc/os-release`.
    pub os_release: Option<String>,
}

/// One package: `/var/lib/dpkg/status.d/<name>` (its status stanza), `<name>.md5sums` (of the copied
/// files), and its copyright file from the builder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageFiles {
    pub name: String,
    pub stanza: String,
    pub md5sums: String,
    /// The builder path of `/usr/share/doc/<name>/copyright`, if it has one.
    pub copyright: Option<String>,
}

impl Context {
    pub fn new(build_platform: Platform) -> Self {
        Context {
            build_platform,
            builder_ref: None,
            builder_env: Vec::new(),
            resolve_mode: None,
            session_id: None,
            context_excludes: Vec::new(),
            merge: true,
            copy_excludes: true,
            libraries: Vec::new(),
            labels: Vec::new(),
            source: None,
            absent: Vec::new(),
            packages: PackageMetadata::default(),
            named_contexts: BTreeMap::new(),
            probe: Vec::new(),
            probe_held: BTreeSet::new(),
            verdict: None,
        }
    }
}

/// The graph and config for one target platform.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub platform: Platform,
    /// The builder's final filesystem, which the gateway may solve and inspect before the image.
    pub builder: Option<State>,
    /// The builder paths the checks read, copied out of the builder (see [`probe`]): the checks read this
    /// small state, and the image's copies of those paths take them from it.
    pub probe: Option<State>,
    pub image: State,
    pub config: ImageConfig,
}

/// Lowers the plan for every target platform.
pub fn lower(plan: &Plan, ctx: &Context) -> Vec<Lowered> {
    plan.platforms.iter().map(|p| lower_platform(plan, ctx, p)).collect()
}

pub fn lower_platform(plan: &Plan, ctx: &Context, platform: &Platform) -> Lowered {
    let context = build_context(ctx);
    let builder = plan.builder.as_ref().map(|b| builder::stage(b, ctx, platform, &context));
    let named = plan.copies.iter().filter_map(|c| if let Source::Named { name, .. } = &c.from { Some(name) } else { None });
    let named = named.map(|n| (n.clone(), ctx.named_contexts.get(n).cloned().unwrap_or_else(|| named_local(n, n, ctx.session_id.as_deref())))).collect();
    let probe = builder.as_ref().filter(|_| !ctx.probe.is_empty()).map(|b| probe::state(&ctx.probe, b));
    let sources = Sources {
        builder: builder.clone().unwrap_or_default(),
        probe: probe.clone().map(|p| (p, ctx.probe.clone())),
        held: ctx.probe_held.clone(),
        context,
        named,
    };
    let mut layers = rootfs::pieces(plan, &sources, &ctx.absent, ctx.copy_excludes);
    if !ctx.libraries.is_empty() {
        layers.push(rootfs::libraries(plan, &sources, &ctx.libraries));
    }
    if plan.package_metadata && ctx.packages != PackageMetadata::default() {
        layers.push(rootfs::package_metadata(plan, &sources, &ctx.packages));
    }
    let mut application = rootfs::application(plan, &sources);
    if let Some(verdict) = &ctx.verdict {
        analysis::tie(&mut application.actions, verdict);
    }
    layers.push(application);
    if plan.target == Target::Debug {
        let busybox = State::image(&crate::reference::normalize(&plan.debug_image), platform, ctx.resolve_mode.as_deref())
            .named(format!("[debug] FROM {}", plan.debug_image));
        layers.push(rootfs::debug_shell(plan, busybox));
    }
    let image = if ctx.merge {
        State::merge(layers.into_iter().map(|l| layer_state(plan, ctx, State::scratch(), l, &BTreeSet::new())).collect())
    } else {
        // The top-level entries the chain has laid down so far.
        let mut present = BTreeSet::new();
        layers.into_iter().fold(State::scratch(), |base, l| {
            let tops = l.tops();
            let state = layer_state(plan, ctx, base, l, &present);
            present.extend(tops);
            state
        })
    };
    Lowered { platform: platform.clone(), builder, probe, image, config: image_config(plan, platform).with_labels(&ctx.labels) }
}

/// One layer on `base`. The layer is assembled in an internal state, then each of its top-level entries
/// is copied into place with one fixed time (SOURCE_DATE_EPOCH, or the epoch): adding an entry to a
/// directory resets its mtime to "now", and a copy stamps each directory after its contents. So a
/// layer's bytes depend only on what is in it, and re-running it (BuildKit does not always keep the
/// results of input-less ops) cannot change its digest.
///
/// Without MergeOp the layers are a chain, so a top-level directory (`/etc`) may already be in `base`
/// (`present`): the copy then merges the staged directory's contents into it, since a plain copy of a
/// directory onto an existing one nests it (`/etc/etc`). A new top is copied whole, keeping its mode.
fn layer_state(plan: &Plan, ctx: &Context, base: State, layer: rootfs::Layer, present: &BTreeSet<String>) -> State {
    let ts = rootfs::timestamp(plan);
    let tops = layer.tops();
    // Both ops carry the spec lines: the staging one is where a copy from the builder fails.
    let at = located(ctx.source.as_ref(), &layer.spans);
    let staged = State::scratch().file(layer.actions).named(format!("[internal] stage {}", layer.name));
    let staged = match &at {
        Some(at) => staged.located(at.clone()),
        None => staged,
    };
    let actions = tops
        .into_iter()
        .map(|top| {
            let options = CopyOptions { timestamp: Some(ts), contents_only: present.contains(&top), ..CopyOptions::default() };
            FileAction::Copy { from: staged.clone(), src: top.clone(), dest: top, options }
        })
        .collect();
    let layer_op = base.file(actions).named(layer.name);
    match at {
        Some(at) => layer_op.located(at),
        None => layer_op,
    }
}

/// The spec lines of these spans, or `None` without a source file (or spans).
pub(crate) fn located(source: Option<&Arc<SourceFile>>, spans: &[Span]) -> Option<SourceLocation> {
    let file = source?;
    let lines: Vec<(usize, usize)> = spans.iter().filter(|s| s.line > 0).map(|s| (s.line, s.line)).collect();
    (!lines.is_empty()).then(|| SourceLocation { file: file.clone(), lines })
}

/// The states copies can come from.
pub(crate) struct Sources {
    pub builder: State,
    /// The probe and the reads it holds: a builder path that is an exhaustive read's own is copied from there.
    pub probe: Option<(State, Vec<BuilderRead>)>,
    /// Of the reads looked for by name, the paths the checks found in the probe ([`Context::probe_held`]).
    pub held: BTreeSet<String>,
    pub context: State,
    /// The named contexts the copies read, by name.
    pub named: BTreeMap<String, State>,
}

impl Sources {
    pub fn of(&self, source: &Source) -> (&State, String) {
        match source {
            // From the probe only what it holds as a read of its own: what the checks saw at that very path.
            Source::Builder(p) => match self.probe.as_ref().and_then(|(probe, reads)| Some((probe, in_probe(reads, p.as_str())?))) {
                Some((probe, found)) if found.miss_is_final() || self.held.contains(p.as_str()) => (probe, found.path),
                _ => (&self.builder, p.to_string()),
            },
            Source::Context(p) => (&self.context, format!("/{p}")),
            // `lower_platform` puts every name the copies use in the map.
            Source::Named { name, path } => (self.named.get(name).unwrap_or(&self.context), format!("/{path}")),
        }
    }
}

/// The build context as the builder and the context copies see it; an SBOM scan of the context uses the
/// same vertex.
pub fn build_context(ctx: &Context) -> State {
    let mut attrs = BTreeMap::new();
    attrs.insert("local.sharedkeyhint".to_string(), "context".to_string());
    if let Some(s) = &ctx.session_id {
        attrs.insert("local.session".to_string(), s.clone());
    }
    if !ctx.context_excludes.is_empty() {
        let json = serde_json::to_string(&ctx.context_excludes).unwrap_or_default();
        attrs.insert("local.excludepatterns".to_string(), json);
    }
    State::local("context", attrs).named("[context] load build context")
}

/// The client's local directory `local` as the named context `name` (`--build-context name=./dir`).
pub fn named_local(name: &str, local: &str, session_id: Option<&str>) -> State {
    let mut attrs = BTreeMap::new();
    attrs.insert("local.sharedkeyhint".to_string(), format!("context:{name}"));
    if let Some(s) = session_id {
        attrs.insert("local.session".to_string(), s.to_string());
    }
    State::local(local, attrs).named(format!("[context {name}] load from client"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_takes_the_lines_of_real_spans_only() {
        let file = Arc::new(SourceFile { filename: "scratch.yaml".into(), data: b"a\nb\nc\n".to_vec(), language: "yaml".into() });
        // Line 0 is "no span" (a default the user did not write): it has no line to show.
        assert!(located(Some(&file), &[Span::new(0, 0, 0)]).is_none());
        let at = located(Some(&file), &[Span::new(0, 0, 0), Span::new(3, 5, 2)]).expect("a location");
        assert_eq!(at.lines, [(3, 3)]);
        assert!(located(None, &[Span::new(3, 5, 2)]).is_none(), "no source file, no location");
    }
}

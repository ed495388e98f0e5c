//! Plan → LLB: the builder stage, one vertex per rootfs piece, the application layer, the final
//! scratch stage, and the image config. Pure: what the gateway resolved and the checks found comes in
//! through [`BuildInputs`], [`PlatformInputs`] and [`Found`].

pub mod analysis;
mod builder;
mod config;
mod inputs;
pub mod probe;
mod rootfs;

use std::collections::{BTreeMap, BTreeSet};

pub use config::{image_config, ImageConfig, RootFs, RunConfig};
pub use inputs::{BuildInputs, PlatformInputs};
pub use rootfs::ZONE_LINK_OUT;

use std::sync::Arc;

use crate::diag::Span;
use crate::llb::{CopyOptions, FileAction, LocalOptions, SourceFile, SourceLocation, State};
use crate::plan::{in_probe, BuilderRead, Found, PackageMetadata, Plan, Source, Target};
use crate::platform::Platform;

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

/// Lowers the plan for every target platform, each with the same platform inputs.
pub fn lower(plan: &Plan, build: &BuildInputs, per_platform: &PlatformInputs, found: &Found) -> Vec<Lowered> {
    plan.platforms.iter().map(|p| lower_platform(plan, build, per_platform, found, p)).collect()
}

/// The graph of one platform. Lowered first with [`Found::planned`], for the builder and the probe the
/// checks read; then with what the checks found, for the image.
pub fn lower_platform(
    plan: &Plan,
    build: &BuildInputs,
    per_platform: &PlatformInputs,
    found: &Found,
    platform: &Platform,
) -> Lowered {
    let context = build_context(build);
    let builder = plan.builder.as_ref().map(|b| builder::stage(b, build, per_platform, platform, &context));
    let named =
        plan.copies.iter().filter_map(|c| if let Source::Named { name, .. } = &c.from { Some(name) } else { None });
    let named = named
        .map(|n| {
            (
                n.clone(),
                per_platform
                    .named_contexts
                    .get(n)
                    .cloned()
                    .unwrap_or_else(|| named_local(n, n, build.context.session.as_deref(), &[])),
            )
        })
        .collect();
    let probe = builder.as_ref().filter(|_| !found.probe.is_empty()).map(|b| probe::state(&found.probe, b));
    let sources = Sources {
        builder: builder.clone().unwrap_or_default(),
        probe: probe.clone().map(|p| (p, found.probe.clone())),
        held: found.probe_held.clone(),
        context,
        named,
    };
    let image = stack(plan, build, layers(plan, build, found, &sources, per_platform.verdict.as_ref(), platform));
    Lowered {
        platform: platform.clone(),
        builder,
        probe,
        image,
        config: image_config(plan, platform).with_labels(&build.labels),
    }
}

/// The image's layers, bottom up: the rootfs pieces, the libraries and package metadata the checks found,
/// the application, and for the debug target a shell.
fn layers(
    plan: &Plan,
    build: &BuildInputs,
    found: &Found,
    sources: &Sources,
    verdict: Option<&State>,
    platform: &Platform,
) -> Vec<rootfs::Layer> {
    let mut layers = rootfs::pieces(plan, sources, &found.absent, build.copy_excludes);
    if !found.libraries.is_empty() {
        layers.push(rootfs::libraries(plan, sources, &found.libraries));
    }
    if plan.package_metadata && found.packages != PackageMetadata::default() {
        layers.push(rootfs::package_metadata(plan, sources, &found.packages));
    }
    let mut application = rootfs::application(plan, sources);
    if let Some(verdict) = verdict {
        analysis::tie(&mut application.actions, verdict);
    }
    layers.push(application);
    if plan.target == Target::Debug {
        let busybox =
            State::image(&crate::reference::normalize(&plan.debug_image), platform, build.resolve_mode.as_deref())
                .named(format!("[debug] FROM {}", plan.debug_image));
        layers.push(rootfs::debug_shell(plan, busybox));
    }
    layers
}

/// The layers merged, or without MergeOp stacked as a chain.
fn stack(plan: &Plan, build: &BuildInputs, layers: Vec<rootfs::Layer>) -> State {
    if build.merge {
        return State::merge(
            layers.into_iter().map(|l| layer_state(plan, build, State::scratch(), l, &BTreeSet::new())).collect(),
        );
    }
    // The top-level entries the chain has laid down so far.
    let mut present = BTreeSet::new();
    layers.into_iter().fold(State::scratch(), |base, l| {
        let tops = l.tops();
        let state = layer_state(plan, build, base, l, &present);
        present.extend(tops);
        state
    })
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
fn layer_state(
    plan: &Plan,
    build: &BuildInputs,
    base: State,
    layer: rootfs::Layer,
    present: &BTreeSet<String>,
) -> State {
    let ts = rootfs::timestamp(plan);
    let tops = layer.tops();
    // Both ops carry the spec lines: the staging one is where a copy from the builder fails.
    let at = located(build.source.as_ref(), &layer.spans);
    let staged = State::scratch().file(layer.actions).named(format!("[internal] stage {}", layer.name));
    let staged = match &at {
        Some(at) => staged.located(at.clone()),
        None => staged,
    };
    let actions = tops
        .into_iter()
        .map(|top| {
            let options =
                CopyOptions { timestamp: Some(ts), contents_only: present.contains(&top), ..CopyOptions::default() };
            FileAction::Copy { from: staged.clone(), src: top.clone(), dest: top, options }
        })
        .collect();
    let layer_op = base.file(actions).named(layer.name);
    match at {
        Some(at) => layer_op.located(at),
        None => layer_op,
    }
}

/// The spec lines of these spans as ranges, or `None` without a source file (or spans). Lines next to each
/// other are one range: BuildKit keeps each range of each op in the build's record (provenance JSON sent in
/// one message of at most 16 MiB), and a copy list of thousands of lines is one range, not thousands.
pub(crate) fn located(source: Option<&Arc<SourceFile>>, spans: &[Span]) -> Option<SourceLocation> {
    let file = source?;
    let mut lines: Vec<usize> = spans.iter().filter(|s| s.line > 0).map(|s| s.line).collect();
    lines.sort_unstable();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for line in lines {
        match ranges.last_mut() {
            Some((_, end)) if line <= *end + 1 => *end = (*end).max(line),
            _ => ranges.push((line, line)),
        }
    }
    (!ranges.is_empty()).then(|| SourceLocation { file: file.clone(), lines: ranges })
}

/// The states copies can come from.
pub(crate) struct Sources {
    pub builder: State,
    /// The probe and the reads it holds: a builder path that is an exhaustive read's own is copied from there.
    pub probe: Option<(State, Vec<BuilderRead>)>,
    /// Of the reads looked for by name, the paths the checks found in the probe ([`Found::probe_held`]).
    pub held: BTreeSet<String>,
    pub context: State,
    /// The named contexts the copies read, by name.
    pub named: BTreeMap<String, State>,
}

impl Sources {
    pub fn of(&self, source: &Source) -> (&State, String) {
        match source {
            // From the probe only what it holds as a read of its own: what the checks saw at that very path.
            Source::Builder(p) => {
                match self.probe.as_ref().and_then(|(probe, reads)| Some((probe, in_probe(reads, p.as_str())?))) {
                    Some((probe, found)) if found.miss_is_final() || self.held.contains(p.as_str()) => {
                        (probe, found.path)
                    }
                    _ => (&self.builder, p.to_string()),
                }
            }
            Source::Context(p) => (&self.context, format!("/{p}")),
            // `lower_platform` puts every name the copies use in the map.
            Source::Named { name, path } => (self.named.get(name).unwrap_or(&self.context), format!("/{path}")),
        }
    }
}

/// The build context as the builder and the context copies see it; an SBOM scan of the context uses the
/// same vertex.
pub fn build_context(build: &BuildInputs) -> State {
    State::local(CONTEXT_LOCAL, &build.context).named("[context] load build context")
}

/// The client's local directory `local` as the named context `name` (`--build-context name=./dir`).
/// `excludes` are what the directory's own `.dockerignore` lists.
pub fn named_local(name: &str, local: &str, session: Option<&str>, excludes: &[String]) -> State {
    let options = LocalOptions {
        session: session.map(str::to_string),
        shared_key_hint: Some(format!("context:{name}")),
        exclude_patterns: excludes.to_vec(),
        ..LocalOptions::default()
    };
    State::local(local, &options).named(format!("[context {name}] load from client"))
}

/// Just the `.dockerignore` at the root of the client's local `local` (the build context, or a named
/// context's directory).
pub fn dockerignore_local(local: &str, session: Option<&str>) -> State {
    let (hint, name) = if local == CONTEXT_LOCAL {
        (local.to_string(), "[internal] load .dockerignore".to_string())
    } else {
        (format!("context:{local}-.dockerignore"), format!("[context {local}] load .dockerignore"))
    };
    let options = LocalOptions {
        session: session.map(str::to_string),
        shared_key_hint: Some(hint),
        follow_paths: vec![".dockerignore".to_string()],
        ..LocalOptions::default()
    };
    State::local(local, &options).named(name)
}

/// The local that holds the build context.
pub const CONTEXT_LOCAL: &str = "context";

/// How the build context is read: through `session`, without what its `.dockerignore` lists.
pub fn context_options(session: Option<&str>, excludes: Vec<String>) -> LocalOptions {
    LocalOptions {
        session: session.map(str::to_string),
        shared_key_hint: Some(CONTEXT_LOCAL.to_string()),
        exclude_patterns: excludes,
        ..LocalOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_takes_the_lines_of_real_spans_only() {
        let file = Arc::new(SourceFile {
            filename: "scratch.yaml".into(),
            data: b"a\nb\nc\n".to_vec(),
            language: "yaml".into(),
        });
        // Line 0 is "no span" (a default the user did not write): it has no line to show.
        assert!(located(Some(&file), &[Span::new(0, 0, 0)]).is_none());
        let at = located(Some(&file), &[Span::new(0, 0, 0), Span::new(3, 5, 2)]).expect("a location");
        assert_eq!(at.lines, [(3, 3)]);
        assert!(located(None, &[Span::new(3, 5, 2)]).is_none(), "no source file, no location");
    }

    #[test]
    fn a_location_joins_lines_next_to_each_other_into_one_range() {
        let file =
            Arc::new(SourceFile { filename: "scratch.yaml".into(), data: b"a\n".repeat(9), language: "yaml".into() });
        let spans = [7, 3, 4, 4, 5, 9].map(|line| Span::new(line, 3, 0));
        assert_eq!(located(Some(&file), &spans).expect("a location").lines, [(3, 5), (7, 7), (9, 9)]);
    }
}

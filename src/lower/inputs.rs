//! What lowering needs from outside the plan, split by when it is known. With [`crate::plan::Found`]
//! (what the checks of the builder's output found) these are the three inputs of
//! [`super::lower_platform`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::llb::{EnvList, LocalOptions, SourceFile, State};
use crate::platform::Platform;

/// Known once per build, from what BuildKit can do and what the request asked for; the same for every
/// target platform.
#[derive(Clone, Debug)]
pub struct BuildInputs {
    /// The platform BuildKit runs on; the builder runs here unless the spec says `platform: target`.
    pub build_platform: Platform,
    /// Whether BuildKit has MergeOp; without it the pieces are stacked as a chain of file ops.
    pub merge: bool,
    /// Copies may exclude files (LLB cap `file.copy.includeexcludepatterns`, BuildKit v0.9+).
    pub copy_excludes: bool,
    /// `image-resolve-mode` (`default`, `pull`, `local`).
    pub resolve_mode: Option<String>,
    /// How the build context is read: its session, without what its `.dockerignore` lists (see
    /// [`super::context_options`]).
    pub context: LocalOptions,
    /// Image labels given outside the spec (`--label`); they win over `image.labels`.
    pub labels: Vec<(String, String)>,
    /// The spec file, when ops should point back into it (a source map: BuildKit shows the lines of a
    /// failing step).
    pub source: Option<Arc<SourceFile>>,
}

impl BuildInputs {
    /// A BuildKit that can do everything, and nothing asked beyond the spec.
    pub fn new(build_platform: Platform) -> Self {
        BuildInputs {
            build_platform,
            merge: true,
            copy_excludes: true,
            resolve_mode: None,
            context: super::context_options(None, Vec::new()),
            labels: Vec::new(),
            source: None,
        }
    }
}

/// Known once per target platform, when the builder image is resolved for where it runs and the named
/// contexts for the platform.
#[derive(Clone, Debug, Default)]
pub struct PlatformInputs {
    /// The builder image reference to use (normalized, ideally pinned to a digest); `None`: the spec's.
    pub builder_ref: Option<String>,
    /// `Env` of the builder image's config.
    pub builder_env: EnvList,
    /// The named contexts `context:NAME:path` copies read (`--build-context`); a name not here is read
    /// from the client's local directory of that name, which is what buildx sends for `NAME=./dir`.
    pub named_contexts: BTreeMap<String, State>,
    /// The builder's verdict, once an exec has checked it: tied into the application layer
    /// ([`super::analysis::tie`]) so that a cache export carries it.
    pub verdict: Option<State>,
}

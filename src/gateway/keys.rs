//! Every frontend option key and key prefix scratchkit reads, in one place, named as BuildKit's
//! `frontend/dockerui` names them. [`super::Request`] is their only reader: the rest of the crate reads
//! the typed request.

/// The environment variables BuildKit starts a frontend with: each option as `key=value`, and the session.
pub const OPTION_ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";
pub const SESSION_ID_ENV: &str = "BUILDKIT_SESSION_ID";

/// The spec's file name inside the spec local (`-f` gives its base name).
pub const FILENAME: &str = "filename";
/// The local that holds the spec (BuildKit's `dockerfilekey`).
pub const SPEC_LOCAL: &str = "dockerfilekey";
pub const TARGET: &str = "target";
/// Target platforms, comma-separated.
pub const PLATFORM: &str = "platform";
pub const IMAGE_RESOLVE_MODE: &str = "image-resolve-mode";
pub const MULTI_PLATFORM: &str = "multi-platform";
/// Present and empty: no step is taken from the cache.
pub const NO_CACHE: &str = "no-cache";
/// Registry references, comma-separated (older clients; `cache-imports` replaces it).
pub const CACHE_FROM: &str = "cache-from";
/// A JSON list of `{Type, Attrs}`.
pub const CACHE_IMPORTS: &str = "cache-imports";
/// A subrequest (`--call`, `--print`) instead of a build.
pub const REQUEST_ID: &str = "requestid";
/// The frontend's own image as the client named it (`# syntax=`, `BUILDKIT_SYNTAX`, `--opt source=`).
pub const SOURCE: &str = "source";

/// `build-arg:NAME`.
pub const BUILD_ARG_PREFIX: &str = "build-arg:";
/// `label:KEY` (`--label`).
pub const LABEL_PREFIX: &str = "label:";
/// `context:NAME` or `context:NAME::<platform>` (`--build-context`).
pub const CONTEXT_PREFIX: &str = "context:";
/// `local-sessionid:LOCAL`: the session that serves the client's local `LOCAL`, when not the build's own.
pub const LOCAL_SESSION_ID_PREFIX: &str = "local-sessionid:";
/// `attest:KIND` (`--sbom`, `--attest`).
pub const ATTEST_PREFIX: &str = "attest:";

/// Build args BuildKit reads as options.
pub const MULTI_PLATFORM_ARG: &str = "BUILDKIT_MULTI_PLATFORM";
/// `BUILDKIT_ATTEST_<KIND>`, as `attest:<kind>`.
pub const ATTEST_ARG_PREFIX: &str = "BUILDKIT_ATTEST_";
/// Scans the builder stage too (`true`, or a list of stage names holding `builder`).
pub const SBOM_SCAN_STAGE_ARG: &str = "BUILDKIT_SBOM_SCAN_STAGE";
/// Scans the build context too (`true`).
pub const SBOM_SCAN_CONTEXT_ARG: &str = "BUILDKIT_SBOM_SCAN_CONTEXT";
/// Lets a BuildKit without MergeOp build anyway (scratchkit's own).
pub const ALLOW_OLD_BUILDKIT_ARG: &str = "SCRATCHKIT_ALLOW_OLD_BUILDKIT";
/// `exec`: the build-time checks run as execs of the frontend's own image (scratchkit's own; see
/// docs/dev/analysis-exec.md for why it is not the default yet).
pub const CHECKS_ARG: &str = "SCRATCHKIT_CHECKS";

/// The attestation kind `--sbom` sets.
pub const ATTEST_SBOM: &str = "sbom";

pub const DEFAULT_FILENAME: &str = "scratch.yaml";
pub const DEFAULT_SPEC_LOCAL: &str = "dockerfile";
/// The local that holds the build context. Always `context`: since BuildKit v0.13 `contextkey` only
/// names the option holding a remote context URL, never another local.
pub const CONTEXT_LOCAL: &str = "context";

//! What the build asked for: BuildKit's frontend options parsed once, as BuildKit's `dockerui.Config`
//! parses them. [`Request::parse`] is the one reader of [`Options`]; the keys are in [`super::keys`].

use std::collections::BTreeMap;

use super::attest::{parse_bool, parse_sbom, Sbom};
use super::keys;
use super::{CacheImport, Options};
use crate::platform::Platform;

/// The options of one build, typed.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `requestid`: a subrequest (`--call`, `--print`) instead of a build; never empty.
    pub subrequest: Option<String>,
    /// The spec's file name inside [`Request::spec_local`].
    pub filename: String,
    /// The local that holds the spec.
    pub spec_local: String,
    /// `build-arg:NAME=VALUE`.
    pub build_args: BTreeMap<String, String>,
    pub target: Option<String>,
    /// The target platforms; empty: the spec's, or the build platform.
    pub platforms: Vec<Platform>,
    /// One image per platform was asked for even if there is one platform (`multi-platform`).
    pub multi_platform: bool,
    pub resolve_mode: Option<ResolveMode>,
    /// `label:KEY=VALUE` (`--label`): they go into the image config.
    pub labels: Vec<(String, String)>,
    /// `no-cache` present and empty: every step.
    pub no_cache: bool,
    /// The caches to import (`--cache-from`).
    pub cache_imports: Vec<CacheImport>,
    /// `context:NAME[::<platform>]` → where it is (`docker-image://…`, `local:…`, …), as given.
    pub named_contexts: BTreeMap<String, String>,
    /// `attest:sbom` (or the build arg `BUILDKIT_ATTEST_SBOM`), unless it turns the SBOM off.
    pub sbom: Option<Sbom>,
    /// `build-arg:SCRATCHKIT_ALLOW_OLD_BUILDKIT` is `true` or `1`.
    pub allow_old_buildkit: bool,
    /// `source`: this frontend's image as the client named it, when BuildKit passes it.
    pub frontend_image: Option<String>,
    /// `build-arg:SCRATCHKIT_CHECKS`: where the checks run.
    pub checks: Checks,
    session_id: Option<String>,
    local_sessions: BTreeMap<String, String>,
}

/// `image-resolve-mode`: where BuildKit looks for an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveMode {
    Default,
    Pull,
    Local,
}

impl ResolveMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }
}

/// Where the build-time checks run (`build-arg:SCRATCHKIT_CHECKS`, docs/dev/analysis-exec.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Checks {
    /// Unset: as execs of the frontend's own image where BuildKit can run them without hashing the
    /// builder (v0.13+), else through gateway requests.
    #[default]
    Auto,
    /// `exec`: as execs wherever the frontend's own image is known.
    Exec,
    /// `gateway`: through gateway requests and the probe (a runner importing a cache that a BuildKit of
    /// the other side of v0.13/v0.14 exported finds the probe there, not the execs).
    Gateway,
}

/// An option whose value scratchkit cannot read; the raw value is kept as given (any size: the frontend
/// escapes and cuts it for the message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadOption {
    /// `cache-imports` is not the JSON list buildx sends: the option and the parser's reason.
    CacheImports {
        option: String,
        reason: String,
    },
    /// A `platform` entry, with the platform parser's message.
    Platform(String),
    ResolveMode(String),
    MultiPlatform(String),
    /// `attest:sbom` with a `disabled=` that is not a boolean.
    SbomDisabled(String),
    SbomEmptyGenerator,
    /// `SCRATCHKIT_CHECKS` other than `exec` or `gateway`.
    Checks(String),
}

impl Request {
    pub fn parse(o: &Options) -> Result<Self, BadOption> {
        let build_args = o.with_prefix(keys::BUILD_ARG_PREFIX).collect::<BTreeMap<_, _>>();
        let sbom = match attest(o, keys::ATTEST_SBOM) {
            Some(value) => parse_sbom(value)?,
            None => None,
        };
        let allow_old_buildkit =
            matches!(build_args.get(keys::ALLOW_OLD_BUILDKIT_ARG).map(String::as_str), Some("true" | "1"));
        Ok(Request {
            subrequest: o.non_empty(keys::REQUEST_ID).map(str::to_string),
            filename: o.non_empty(keys::FILENAME).unwrap_or(keys::DEFAULT_FILENAME).to_string(),
            spec_local: o.non_empty(keys::SPEC_LOCAL).unwrap_or(keys::DEFAULT_SPEC_LOCAL).to_string(),
            target: o.get(keys::TARGET).map(str::to_string),
            platforms: platforms(o)?,
            multi_platform: multi_platform(o, &build_args)?,
            resolve_mode: resolve_mode(o)?,
            labels: o.with_prefix(keys::LABEL_PREFIX).collect(),
            no_cache: o.get(keys::NO_CACHE) == Some(""),
            cache_imports: cache_imports(o)?,
            named_contexts: o.with_prefix(keys::CONTEXT_PREFIX).collect(),
            sbom,
            allow_old_buildkit,
            frontend_image: o.non_empty(keys::SOURCE).map(str::to_string),
            checks: checks(&build_args)?,
            build_args,
            session_id: o.session_id.clone(),
            local_sessions: o.with_prefix(keys::LOCAL_SESSION_ID_PREFIX).collect(),
        })
    }

    /// The local that holds the build context.
    pub fn context_local(&self) -> &'static str {
        keys::CONTEXT_LOCAL
    }

    /// The client session that serves the local `local`: its own (`local-sessionid:<local>`), or the
    /// build's (`BUILDKIT_SESSION_ID`).
    pub fn session(&self, local: &str) -> Option<&str> {
        self.local_sessions.get(local).or(self.session_id.as_ref()).map(String::as_str)
    }
}

/// `attest:<kind>`, or the build arg `BUILDKIT_ATTEST_<KIND>` BuildKit also reads (names compared without case).
fn attest<'a>(o: &'a Options, kind: &str) -> Option<&'a str> {
    let arg_prefix = format!("{}{}", keys::BUILD_ARG_PREFIX, keys::ATTEST_ARG_PREFIX);
    o.iter().find_map(|(k, v)| {
        let name = k.strip_prefix(keys::ATTEST_PREFIX).or_else(|| k.strip_prefix(arg_prefix.as_str()))?;
        name.eq_ignore_ascii_case(kind).then_some(v)
    })
}

fn checks(build_args: &BTreeMap<String, String>) -> Result<Checks, BadOption> {
    match build_args.get(keys::CHECKS_ARG).map(String::as_str) {
        None | Some("") => Ok(Checks::Auto),
        Some("exec") => Ok(Checks::Exec),
        Some("gateway") => Ok(Checks::Gateway),
        Some(other) => Err(BadOption::Checks(other.to_string())),
    }
}

fn platforms(o: &Options) -> Result<Vec<Platform>, BadOption> {
    match o.non_empty(keys::PLATFORM) {
        None => Ok(Vec::new()),
        Some(list) => list.split(',').map(|p| Platform::parse(p).map_err(BadOption::Platform)).collect(),
    }
}

/// `multi-platform`, or the build arg `BUILDKIT_MULTI_PLATFORM`, which wins.
fn multi_platform(o: &Options, build_args: &BTreeMap<String, String>) -> Result<bool, BadOption> {
    let value = build_args
        .get(keys::MULTI_PLATFORM_ARG)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .or_else(|| o.non_empty(keys::MULTI_PLATFORM));
    match value {
        None => Ok(false),
        Some(v) => parse_bool(v).ok_or_else(|| BadOption::MultiPlatform(v.to_string())),
    }
}

fn resolve_mode(o: &Options) -> Result<Option<ResolveMode>, BadOption> {
    match o.non_empty(keys::IMAGE_RESOLVE_MODE) {
        None => Ok(None),
        Some("default") => Ok(Some(ResolveMode::Default)),
        Some("pull") => Ok(Some(ResolveMode::Pull)),
        Some("local") => Ok(Some(ResolveMode::Local)),
        Some(other) => Err(BadOption::ResolveMode(other.to_string())),
    }
}

/// The `cache-imports` option, a JSON list of `{Type, Attrs}`, or, from older clients, `cache-from`,
/// comma-separated registry references.
fn cache_imports(o: &Options) -> Result<Vec<CacheImport>, BadOption> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Type")]
        kind: String,
        #[serde(rename = "Attrs", default)]
        attrs: BTreeMap<String, String>,
    }
    if let Some(json) = o.get(keys::CACHE_IMPORTS).filter(|j| !j.trim().is_empty()) {
        let entries: Vec<Entry> = serde_json::from_str(json)
            .map_err(|e| BadOption::CacheImports { option: json.to_string(), reason: e.to_string() })?;
        return Ok(entries.into_iter().map(|e| CacheImport { kind: e.kind, attrs: e.attrs }).collect());
    }
    let refs = o.get(keys::CACHE_FROM).unwrap_or_default();
    Ok(refs
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| CacheImport { kind: "registry".into(), attrs: BTreeMap::from([("ref".to_string(), r.to_string())]) })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Request, BadOption> {
        let vars =
            pairs.iter().enumerate().map(|(i, (k, v))| (format!("{}{i}", keys::OPTION_ENV_PREFIX), format!("{k}={v}")));
        Request::parse(&Options::from_vars(vars.chain([(keys::SESSION_ID_ENV.to_string(), "s1".to_string())])))
    }

    #[test]
    fn reads_the_defaults() {
        let r = parse(&[]).unwrap();
        assert_eq!(
            (r.filename.as_str(), r.spec_local.as_str(), r.context_local()),
            ("scratch.yaml", "dockerfile", "context")
        );
        assert_eq!(
            (r.subrequest, r.target, r.resolve_mode, r.no_cache, r.multi_platform, r.sbom),
            (None, None, None, false, false, None)
        );
        assert!(
            r.platforms.is_empty() && r.cache_imports.is_empty() && r.labels.is_empty() && r.named_contexts.is_empty()
        );
    }

    #[test]
    fn reads_cache_imports_from_json_or_legacy_refs() {
        let imports = parse(&[(
            "cache-imports",
            r#"[{"Type":"registry","Attrs":{"ref":"r:5000/c"}},{"Type":"local","Attrs":{"src":"/c"}}]"#,
        )])
        .unwrap()
        .cache_imports;
        assert_eq!(imports.len(), 2);
        assert_eq!((imports[0].kind.as_str(), imports[0].attrs["ref"].as_str()), ("registry", "r:5000/c"));
        assert_eq!((imports[1].kind.as_str(), imports[1].attrs["src"].as_str()), ("local", "/c"));

        let legacy = parse(&[("cache-from", "a/b:c, d/e:f")]).unwrap().cache_imports;
        assert_eq!(legacy.iter().map(|i| i.attrs["ref"].as_str()).collect::<Vec<_>>(), ["a/b:c", "d/e:f"]);
        assert!(legacy.iter().all(|i| i.kind == "registry"));
        assert!(
            matches!(parse(&[("cache-imports", "not json")]).unwrap_err(), BadOption::CacheImports { option, .. } if option == "not json")
        );
    }

    #[test]
    fn reads_prefixed_options_by_name() {
        let r = parse(&[
            ("label:org.example.team", "infra"),
            ("build-arg:X", "a=b"),
            ("context:web::linux/arm64", "local:web"),
            ("local-sessionid:web", "s2"),
            ("build-arg:SCRATCHKIT_ALLOW_OLD_BUILDKIT", "1"),
        ])
        .unwrap();
        assert_eq!(r.labels, [("org.example.team".to_string(), "infra".to_string())]);
        assert_eq!(r.build_args["X"], "a=b");
        assert_eq!(r.named_contexts["web::linux/arm64"], "local:web");
        assert_eq!((r.session("web"), r.session("context")), (Some("s2"), Some("s1")));
        assert!(r.allow_old_buildkit);
    }

    #[test]
    fn bad_values_are_errors_naming_them() {
        assert_eq!(parse(&[("image-resolve-mode", "always")]).unwrap_err(), BadOption::ResolveMode("always".into()));
        assert_eq!(parse(&[("image-resolve-mode", "pull")]).unwrap().resolve_mode, Some(ResolveMode::Pull));
        assert!(
            matches!(parse(&[("platform", "linux/amd64,windows/amd64")]).unwrap_err(), BadOption::Platform(m) if m.contains("windows"))
        );
        assert_eq!(parse(&[("multi-platform", "yes")]).unwrap_err(), BadOption::MultiPlatform("yes".into()));
        assert!(
            parse(&[("multi-platform", "false"), ("build-arg:BUILDKIT_MULTI_PLATFORM", "True")])
                .unwrap()
                .multi_platform,
            "the arg wins"
        );
        assert!(matches!(parse(&[("attest:sbom", "disabled=maybe")]).unwrap_err(), BadOption::SbomDisabled(_)));
        assert_eq!(
            parse(&[("build-arg:BUILDKIT_ATTEST_Sbom", "generator=g:1")]).unwrap().sbom.unwrap().generator,
            "g:1"
        );
    }

    #[test]
    fn reads_where_the_checks_run() {
        let checks = |v: &str| parse(&[("build-arg:SCRATCHKIT_CHECKS", v)]).map(|r| r.checks);
        assert_eq!(parse(&[]).unwrap().checks, Checks::Auto);
        assert_eq!(checks(""), Ok(Checks::Auto));
        assert_eq!(checks("exec"), Ok(Checks::Exec));
        assert_eq!(checks("gateway"), Ok(Checks::Gateway));
        assert_eq!(checks("probe"), Err(BadOption::Checks("probe".into())));
    }
}

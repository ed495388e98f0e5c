//! Spec → Plan: every check and every default, collected into one pass that reports all problems.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::accounts::{
    self, is_system_dir, primary_groups, Account, AccountName, Accounts, GroupEntry, IdError, Owner, PasswdPath, PasswdPathError, Unknown, NO_HOME,
};
use super::args::{is_name, substitute};
use super::claims::{Claims, Kind, Meets};
use super::extras;
use super::paths::{self, context_path, names_directory, AbsPath, Mode, PathError};
use super::*;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics, Span};
use crate::platform::Platform;
use crate::spec::{self, Spanned, Str, Toggle};

/// What the plan needs from outside the spec: build args and platforms given on the command line.
#[derive(Clone, Debug, Default)]
pub struct PlanInputs {
    /// `--build-arg NAME=VALUE`.
    pub build_args: BTreeMap<String, String>,
    /// `--platform`; empty means the spec's `platforms:` or else `default_platform`.
    pub platforms: Vec<Platform>,
    /// What BuildKit builds for when nothing else says (its first worker platform).
    pub default_platform: Option<Platform>,
    /// `--target`; empty or `default` is the normal image.
    pub target: Option<String>,
}

/// Validates a spec and fills its defaults. Warnings come back with the plan; errors instead of it.
pub fn plan(spec: &spec::Spec, inputs: &PlanInputs) -> Result<(Plan, Diagnostics), Diagnostics> {
    let mut p = Planner {
        diags: Diagnostics::default(),
        args: BTreeMap::new(),
        suggestions: SUGGESTIONS,
        expansion_left: MAX_EXPANDED_TOTAL,
        failed_users: HashSet::new(),
        caches: Vec::new(),
    };
    let plan = p.plan(spec, inputs);
    if p.diags.has_errors() {
        Err(p.diags.sorted())
    } else {
        Ok((plan, p.diags.sorted()))
    }
}

struct Planner {
    diags: Diagnostics,
    args: BTreeMap<String, String>,
    /// How many more "did you mean" searches over a user-sized list may run.
    suggestions: usize,
    /// How many more bytes substitution may add to the spec's values.
    expansion_left: usize,
    /// Listed users whose entry has an error: not in the image, but not unknown either, so naming them
    /// elsewhere (a group member, an owner) adds no second error for the same mistake.
    failed_users: HashSet<String>,
    /// The builder's cache mounts and where each is written: what `run` writes below one is not in the
    /// builder's output, so no copy can take it from there.
    caches: Vec<(AbsPath, Span)>,
}

/// The longest value substitution may produce, and the most it may add over the whole spec.
pub const MAX_EXPANDED: usize = 256 * 1024;
pub const MAX_EXPANDED_TOTAL: usize = 8 * 1024 * 1024;
/// The longest build arg value.
pub const MAX_ARG_VALUE: usize = 256 * 1024;

const SUGGESTIONS: usize = 32;

/// The latest `SOURCE_DATE_EPOCH`: file times are nanoseconds in an `int64` (BuildKit's, and the
/// kernel's), which end in 2262, long before `created`'s four-digit year (9999) does.
pub const MAX_EPOCH: i64 = i64::MAX / 1_000_000_000;
const MAX_EPOCH_TEXT: &str = "2262-04-11T23:47:16Z";

/// The hints for a NUL byte in an environment variable and in a label.
const ENV_NUL: &str = "an environment variable cannot hold NUL";
const LABEL_NUL: &str = "labels are read by tools as C strings; remove the NUL byte";

/// How a control character is named in messages.
fn control_name(c: char) -> String {
    match c {
        '\0' => "a NUL byte".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        c => format!("the control character {}", c.escape_unicode()),
    }
}

/// At most ten names, then how many more: a hint stays one line whatever the spec's size.
fn list_some<'a>(names: impl Iterator<Item = &'a str>, count: usize) -> String {
    let shown: Vec<&str> = names.take(10).collect();
    match count.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Why an arg cannot have this name: the builder sets it in every `run` after the args.
fn reserved_arg(name: &str) -> Option<&'static str> {
    match name {
        "PATH" => Some("the builder image's `PATH` is kept; set another with `builder.env: {PATH: ...}`"),
        "TARGETPLATFORM" | "TARGETOS" | "TARGETARCH" | "TARGETVARIANT" | "BUILDPLATFORM" | "BUILDOS" | "BUILDARCH" => {
            Some("the builder sets it for each platform: `run` commands have it without declaring it (`$TARGETARCH`); remove this entry")
        }
        "SSH_AUTH_SOCK" => Some("`builder.ssh: true` sets it to the forwarded agent; remove this entry"),
        _ => None,
    }
}

/// Build args BuildKit and its clients pass on their own, which a spec need not declare.
fn is_buildkit_arg(name: &str) -> bool {
    const KNOWN: &[&str] =
        &["SOURCE_DATE_EPOCH", "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"];
    const PROXIES: &[&str] = &["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];
    // SCRATCHKIT_ALLOW_OLD_BUILDKIT is read by the frontend itself (see `frontend::ALLOW_OLD_BUILDKIT`).
    name.starts_with("BUILDKIT_") || name == "SCRATCHKIT_ALLOW_OLD_BUILDKIT" || KNOWN.contains(&name) || PROXIES.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// Where the spec writes each rootfs piece, keyed by [`Piece::name`]. The accounts come from `users` and
/// `groups`, the homes from `users`.
fn rootfs_spans(r: &spec::Rootfs) -> BTreeMap<&'static str, Vec<Span>> {
    let toggle = |t: &Option<Spanned<bool>>| t.iter().map(|t| t.span).collect::<Vec<_>>();
    let users: Vec<Span> = r.users.iter().map(|u| u.span).collect();
    let ca = match &r.ca_certificates {
        Some(Toggle::Off(s) | Toggle::On(s)) => vec![*s],
        Some(Toggle::With(from)) => vec![from.span],
        None => Vec::new(),
    };
    let zones = match &r.timezones {
        Some(spec::Timezones::Word(w)) => vec![w.span],
        Some(spec::Timezones::List(span, _)) => vec![*span],
        None => Vec::new(),
    };
    let spans = [
        ("users", users.iter().copied().chain(r.groups.iter().map(|g| g.span)).collect()),
        ("home", users),
        ("tmp", toggle(&r.tmp)),
        ("nsswitch", toggle(&r.nsswitch)),
        ("ca-certificates", ca),
        (DataFile::Services.key(), toggle(&r.services)),
        (DataFile::Protocols.key(), toggle(&r.protocols)),
        (DataFile::MimeTypes.key(), toggle(&r.mime_types)),
        ("timezones", zones),
        ("dirs", r.dirs.iter().map(|d| d.span).collect()),
        ("files", r.files.iter().map(|f| f.span).collect()),
        ("package metadata", toggle(&r.package_metadata)),
        ("libraries", r.libraries.iter().map(|l| l.span).collect()),
    ];
    spans.into_iter().filter(|(_, s): &(&str, Vec<Span>)| !s.is_empty()).collect()
}

/// The last component of a copy's source, if it has one.
fn source_name(from: &Source) -> Option<&str> {
    match from {
        Source::Builder(p) => p.file_name(),
        Source::Context(p) | Source::Named { path: p, .. } => p.rsplit('/').next().filter(|s| !s.is_empty()),
    }
}

/// What each rootfs piece writes, with the way to take it over on purpose.
fn rootfs_claims(rootfs: &[Piece], accounts: &Accounts, package_metadata: bool) -> Claims {
    let path = |p: &str| AbsPath::parse(p).expect("constant path");
    let off = |key: &str| format!("set `rootfs.{key}: false` to ship your own");
    let mut claims = Claims::default();
    for piece in rootfs {
        match piece {
            Piece::Accounts(_) => {
                for file in ["/etc/passwd", "/etc/group"] {
                    claims.add(
                        path(file),
                        Kind::File,
                        "`rootfs.users` and `rootfs.groups`",
                        "the image's accounts are written from `rootfs.users` and `rootfs.groups`: list them there instead of copying the file",
                    );
                }
            }
            Piece::Homes(_) => {
                for a in accounts.homes() {
                    claims.add(
                        a.home.path().clone(),
                        Kind::Dir { mode: Mode::new(0o700), owner: Owner { uid: a.uid, gid: a.gid } },
                        format!("the home of `{}`", a.name),
                        format!("copy into it rather than onto it (`to: {}/.config/`), or give `{}` another `home:`", a.home, a.name),
                    );
                }
            }
            Piece::Tmp => claims.add(
                path("/tmp"),
                Kind::Dir { mode: Mode::new(0o1777), owner: Owner::ROOT },
                "`rootfs.tmp`",
                "copy into it rather than onto it (`to: /tmp/data/`), or set `rootfs.tmp: false` to ship your own",
            ),
            Piece::Nsswitch => claims.add(path("/etc/nsswitch.conf"), Kind::File, "`rootfs.nsswitch`", off("nsswitch")),
            Piece::CaCertificates(_) => claims.add(
                path(CA_BUNDLE),
                Kind::File,
                "`rootfs.ca-certificates`",
                "take another bundle with `rootfs.ca-certificates: {from: ...}`, or set `rootfs.ca-certificates: false` to ship your own",
            ),
            Piece::DataFile { file, .. } => claims.add(path(file.path()), Kind::File, format!("`rootfs.{}`", file.key()), off(file.key())),
            Piece::Timezones(Zones::All) => {
                claims.add(path(ZONEINFO), Kind::Tree, "`rootfs.timezones`", "set `rootfs.timezones: none` to ship your own zone files")
            }
            Piece::Timezones(Zones::Only(names)) => {
                for zone in names.iter().filter_map(|z| path(ZONEINFO).join(z).ok()) {
                    claims.add(zone, Kind::File, "`rootfs.timezones`", "leave the zone out of `rootfs.timezones` to ship your own");
                }
            }
            Piece::Dirs(dirs) => {
                for d in dirs {
                    claims.add(
                        d.path.clone(),
                        Kind::Dir { mode: d.mode, owner: d.owner },
                        "`rootfs.dirs`",
                        format!("copy into it rather than onto it (`to: {}/data/`), or remove it from `rootfs.dirs`", d.path),
                    );
                }
            }
            Piece::Files(files) => {
                for f in files {
                    claims.add(f.path.clone(), Kind::File, "`rootfs.files`", "remove it from `rootfs.files` or from `copy`");
                }
            }
        }
    }
    if package_metadata {
        claims.add(path("/etc/os-release"), Kind::File, "`rootfs.package-metadata`", off("package-metadata"));
        claims.add(path("/var/lib/dpkg/status.d"), Kind::Tree, "`rootfs.package-metadata`", off("package-metadata"));
    }
    claims
}

/// The hint for a name no account has: a suggestion (when `suggest`), and some of the names there are.
fn name_hint<'a, I: Iterator<Item = &'a str>>(name: &str, what: &str, place: &str, suggest: bool, names: impl Fn() -> I, count: usize) -> String {
    let listed = list_some(names(), count);
    match if suggest { did_you_mean(name, names()) } else { None } {
        // `resolve` and the name lists agree, so a suggestion is never the name itself.
        Some(n) => format!("did you mean `{n}`? {what} are: {listed}"),
        _ => format!("define it under {place}, or write a number; {what} are: {listed}"),
    }
}

impl Planner {
    fn error(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, message).hint(hint));
    }

    fn warn(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.diags.push(Diagnostic::warning(span, message).hint(hint));
    }

    /// A string field after `${ARG}` substitution; undeclared args are an error. A value that substitution
    /// makes longer than [`MAX_EXPANDED`], or that passes what is left of [`MAX_EXPANDED_TOTAL`] for the
    /// whole spec, is an error (and left unsubstituted).
    fn text(&mut self, s: &Str) -> String {
        let limit = MAX_EXPANDED.min(s.value.len() + self.expansion_left);
        let out = substitute(&s.value, &self.args, limit);
        if out.too_long {
            if self.expansion_left > 0 {
                let (message, hint) = if limit < MAX_EXPANDED {
                    (format!("build args expand the spec by more than {} KiB in all", MAX_EXPANDED_TOTAL / 1024), "use fewer or shorter `${...}` references")
                } else {
                    (format!("this value is longer than {} KiB once its build args are substituted", MAX_EXPANDED / 1024), "use shorter build args here")
                };
                self.error(s.span, message, hint);
            }
            if limit < MAX_EXPANDED {
                self.expansion_left = 0; // reported once
            }
            return s.value.clone();
        }
        self.expansion_left = self.expansion_left.saturating_sub(out.text.len().saturating_sub(s.value.len()));
        for (name, _) in &out.undeclared {
            self.error(
                s.span,
                format!("`${{{name}}}` names no build arg"),
                format!("declare it under `args:` (e.g. `args: {{{name}: default}}`) or remove it"),
            );
        }
        out.text
    }

    /// A value that reaches a process or the image config as a C string (an environment variable, an
    /// argument, a label, the stop signal): a NUL byte would cut it short, so it is refused, located.
    /// Returns whether the value is free of NUL.
    fn no_nul(&mut self, span: Span, what: &str, value: &str, hint: &str) -> bool {
        if value.contains('\0') {
            self.error(span, format!("{what} contains a NUL byte"), hint);
            return false;
        }
        true
    }

    fn abs_path(&mut self, s: &Str, what: &str) -> Option<AbsPath> {
        let text = self.text(s);
        match AbsPath::parse(&text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.path_error(s.span, what, &text, e);
                None
            }
        }
    }

    /// A directory the builder's filesystem gets something put over (the context, a cache, a secret):
    /// not `/`, and nothing under the kernel's `/proc`, `/sys` or `/dev`.
    fn mount_point(&mut self, s: &Str, what: &str) -> Option<AbsPath> {
        let path = self.abs_path(s, what)?;
        let kernel = ["/proc", "/sys", "/dev"].iter().find(|k| path.starts_with(&AbsPath::parse(k).expect("constant path")));
        let place = match kernel {
            Some(k) => format!("under `{k}`"),
            None if path.as_str() == "/" => "the root".to_string(),
            None => return Some(path),
        };
        self.error(
            s.span,
            format!("{what} `{path}` is {place}"),
            "choose a directory of its own, e.g. `/src`, `/root/.cache/go-build` or `/run/secrets/netrc`",
        );
        None
    }

    fn path_error(&mut self, span: Span, what: &str, text: &str, e: PathError) {
        match e {
            PathError::Relative => {
                self.error(span, format!("{what} `{text}` is not an absolute path"), format!("start it with `/`, e.g. `/{}`", text.trim_start_matches("./")))
            }
            PathError::Escapes => self.error(span, format!("{what} `{text}` escapes the root with `..`"), "write the path without `..` components"),
            PathError::Empty => self.error(span, format!("{what} is empty"), "write a path such as `/out/app`"),
            PathError::TooLong(n) => self.error(
                span,
                format!("{what} `{}` is {n} bytes long; Linux takes at most {}", crate::diag::escape(text, 64), paths::MAX_PATH),
                "shorten the path; BuildKit cannot create or read it",
            ),
            PathError::NameTooLong(n) => self.error(
                span,
                format!("{what} `{}` has a name of {n} bytes; Linux takes at most {} a name", crate::diag::escape(text, 64), paths::MAX_NAME),
                "shorten that component of the path; BuildKit cannot create or read it",
            ),
            PathError::Control(c) => self.error(
                span,
                format!("{what} `{}` contains {}", text.escape_debug(), control_name(c)),
                "file paths cannot hold NUL, newlines or other control characters; check the value and any `${...}` in it",
            ),
        }
    }

    /// An image reference after substitution, checked against the reference grammar.
    fn image_ref(&mut self, s: &Str, what: &str) -> Option<String> {
        let before = self.diags.count();
        let text = self.text(s);
        if self.diags.count() > before {
            return None; // an undeclared `${...}`, already reported
        }
        match crate::reference::check(&text) {
            Ok(()) => Some(text),
            Err(_) if text.is_empty() => {
                let message = if s.value.is_empty() { format!("{what} is empty") } else { format!("{what} `{}` is empty after substitution", s.value) };
                self.error(s.span, message, "write a reference such as `golang:1.23`; a `${...}` in it must give one (pass a value with --build-arg)");
                None
            }
            Err(why) => {
                let hint = if s.value.contains("${") {
                    "write a reference such as `golang:1.23`; its `${...}` must give one (pass a value with --build-arg)"
                } else {
                    "write a reference such as `golang:1.23` or `ghcr.io/org/image:tag`"
                };
                self.error(s.span, format!("{what} `{}` is not an image reference: {why}", text.escape_debug()), hint);
                None
            }
        }
    }

    /// Legal but risky modes, as warnings: setuid/setgid on what may be a program, and world-writable
    /// bits, except on a directory with the sticky bit (the `/tmp` pattern: only owners remove files).
    fn risky_mode(&mut self, span: Span, path: &AbsPath, mode: Mode, directory: bool) {
        let bits = mode.bits();
        if !directory && bits & 0o6000 != 0 {
            let which = match bits & 0o6000 {
                0o4000 => "setuid",
                0o2000 => "setgid",
                _ => "setuid and setgid",
            };
            let whose = if bits & 0o4000 != 0 { "owner's" } else { "group's" };
            self.warn(
                span,
                format!("mode {mode} of `{path}` is {which}: it runs with its {whose} rights whoever starts it"),
                "a scratch image rarely needs this; drop the leading 4/2/6 (e.g. \"0755\") unless the program is meant to",
            );
        }
        if bits & 0o002 != 0 && !(directory && bits & 0o1000 != 0) {
            self.warn(
                span,
                format!("mode {mode} makes `{path}` world-writable"),
                if directory {
                    "any user of the container can replace what is in it; use \"0755\", or \"1777\" (sticky, like /tmp) for a shared scratch directory"
                } else {
                    "any user of the container can change it; use \"0644\" or \"0755\""
                },
            );
        }
    }

    fn mode(&mut self, s: &Str) -> Option<Mode> {
        let text = self.text(s);
        let m = Mode::parse(&text);
        if m.is_none() {
            self.error(
                s.span,
                format!("mode `{text}` is not an octal number"),
                "write the mode as a quoted octal string of up to four digits 0-7, such as \"0755\"",
            );
        }
        m
    }

    fn plan(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Plan {
        if let Some(v) = &spec.version {
            if v.value != "1" {
                self.error(v.span, format!("unknown spec version `{}`", v.value), "only `version: 1` exists; remove the line or write 1");
            }
        }
        self.args(spec, inputs);
        let builder = spec.builder.as_ref().and_then(|b| self.builder(b));
        let accounts = self.accounts(&spec.rootfs);
        // A builder without `run` is legal and not warned about: it is a file source (a program copied out of
        // a published image) or, for files copied from a context, where their libraries come from.
        let copies = self.copies(spec, builder.is_some(), &accounts);
        let (rootfs, zones_off) = self.rootfs(&spec.rootfs, &accounts, builder.is_some());
        let libraries = match &spec.rootfs.libraries {
            None => Libraries::Auto,
            Some(s) => match s.value.as_str() {
                "auto" => Libraries::Auto,
                "none" => Libraries::None,
                other => {
                    self.error(s.span, format!("`libraries: {other}` is not a choice"), "write `auto` (copy what dynamic binaries need) or `none`");
                    Libraries::Auto
                }
            },
        };
        let package_metadata = builder.is_some() && spec.rootfs.package_metadata.as_ref().is_none_or(|t| t.value);
        if let (None, Some(t)) = (&spec.builder, &spec.rootfs.package_metadata) {
            if t.value {
                self.error(
                    t.span,
                    "there is no builder to describe packages of",
                    "package metadata lists the builder's Debian packages whose files the image has; remove `package-metadata: true` or add a `builder`",
                );
            }
        }
        let (extras, problems) = extras::extras(&spec.rootfs, builder.is_some(), libraries);
        problems.into_iter().for_each(|d| self.diags.push(d));
        let rootfs_files = self.over_rootfs(&copies, &rootfs, &accounts, package_metadata);
        let image = self.image(spec, &copies, &accounts, &rootfs, zones_off);
        let platforms = self.platforms(spec, inputs);
        let epoch = self.epoch(spec, inputs);
        let target = match inputs.target.as_deref() {
            None | Some("" | "default") => Target::Default,
            Some("debug") => Target::Debug,
            Some(other) => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                self.error(Span::new(1, 1, 1), format!("unknown target `{other}`"), format!("the targets are: {}", names.join(", ")));
                Target::Default
            }
        };
        let debug_image = match spec.debug.as_ref().and_then(|d| d.image.as_ref()) {
            Some(i) => self.image_ref(i, "debug.image").unwrap_or_default(),
            None => DEFAULT_DEBUG_IMAGE.to_string(),
        };
        let rootfs_spans = rootfs_spans(&spec.rootfs);
        Plan { builder, copies, rootfs_files, rootfs, rootfs_spans, libraries, package_metadata, extras, image, platforms, epoch, target, debug_image }
    }

    fn args(&mut self, spec: &spec::Spec, inputs: &PlanInputs) {
        for (name, default) in &spec.args {
            if !is_name(&name.value) {
                self.error(name.span, format!("`{}` is not a valid arg name", name.value), "use letters, digits and `_`, starting with a letter");
                continue;
            }
            if let Some(hint) = reserved_arg(&name.value) {
                self.error(name.span, format!("arg `{}` would be overridden in every `run`", name.value), hint);
                continue;
            }
            let value = inputs.build_args.get(&name.value).cloned().unwrap_or_else(|| default.value.clone());
            if value.len() > MAX_ARG_VALUE {
                self.error(
                    name.span,
                    format!("build arg `{}` is {} bytes long; at most {} KiB", name.value, value.len(), MAX_ARG_VALUE / 1024),
                    "pass large inputs as files of the build context or as secrets",
                );
                continue;
            }
            if !self.no_nul(name.span, &format!("build arg `{}`", name.value), &value, ENV_NUL) {
                continue;
            }
            self.args.insert(name.value.clone(), value);
        }
        // A `--build-arg` that nothing reads is most often a typo: say so, but build.
        let declared: HashSet<&str> = spec.args.iter().map(|(n, _)| n.value.as_str()).collect();
        for name in inputs.build_args.keys().filter(|n| !declared.contains(n.as_str()) && !is_buildkit_arg(n)) {
            self.suggestions = self.suggestions.saturating_sub(1);
            let suggestion = if self.suggestions > 0 { did_you_mean(name, declared.iter().copied()) } else { None };
            // buildx shows a warning's message, not its hint: the suggestion goes in the message.
            let shown = crate::diag::escape(name, 64);
            let message = match suggestion {
                Some(s) => format!("build arg `{shown}` is not used: no `args:` entry declares it; did you mean `{s}`?"),
                None => format!("build arg `{shown}` is not used: no `args:` entry declares it"),
            };
            let hint = format!("declare it under `args:` (e.g. `args: {{{shown}: default}}`) to use it, or drop the --build-arg");
            self.diags.push(Diagnostic::warning(None, message).hint(hint));
        }
    }

    /// `SOURCE_DATE_EPOCH`, declared under `args:` or not (BuildKit passes it as a build arg either way).
    /// A value that is not a count of seconds is a warning, and the build is not reproducible.
    fn epoch(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Option<i64> {
        const NAME: &str = "SOURCE_DATE_EPOCH";
        let value = self.args.get(NAME).or_else(|| inputs.build_args.get(NAME))?.clone();
        match value.trim().parse::<i64>() {
            Ok(secs) if (0..=MAX_EPOCH).contains(&secs) && !value.trim().is_empty() => Some(secs),
            Ok(secs) if secs > MAX_EPOCH => {
                let span = spec.args.iter().find(|(name, _)| name.value == NAME).map(|(name, _)| name.span);
                let message = format!(
                    "`{NAME}` is {secs}, later than {MAX_EPOCH_TEXT}, the last second a layer's file times can hold: file times fall back to 0 and the image has no `created`"
                );
                self.diags.push(Diagnostic::warning(span, message).hint("pass `--build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`"));
                None
            }
            _ => {
                // Located at the `args:` entry when the spec declares it; from the command line it has no line.
                let span = spec.args.iter().find(|(name, _)| name.value == NAME).map(|(name, _)| name.span);
                let message = format!(
                    "`{NAME}` is `{}`, not a number of seconds since 1970: file times fall back to 0 and the image has no `created`",
                    crate::diag::escape(&value, 64)
                );
                self.diags.push(Diagnostic::warning(span, message).hint("pass `--build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`"));
                None
            }
        }
    }

    fn builder(&mut self, b: &spec::Builder) -> Option<Builder> {
        let image = b.image.as_ref().and_then(|i| self.image_ref(i, "builder.image"));
        let workdir = match &b.workdir {
            Some(w) => self.mount_point(w, "builder.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::parse("/src").expect("constant path"),
        };
        let mut env = Vec::new();
        for (k, v) in &b.env {
            if !is_name(&k.value) {
                self.error(k.span, format!("`{}` is not a valid environment variable name", k.value), "use letters, digits and `_`");
            }
            let value = self.text(v);
            self.no_nul(v.span, &format!("`builder.env.{}`", k.value), &value, ENV_NUL);
            env.push((k.value.clone(), value));
        }
        // Commands are not substituted: the args reach them as environment variables and the shell
        // expands `${NAME}`, so a value with quotes, `;` or `$(...)` stays data.
        let run = b.run.iter().map(|r| r.value.clone()).collect();
        for r in &b.run {
            self.no_nul(
                r.span,
                "a `builder.run` command",
                &r.value,
                "`/bin/sh -c` takes the command as a C string; write the byte with `printf '\\0'` in the command",
            );
        }
        let args = self.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mut cache = Vec::new();
        for c in &b.cache {
            let Some(path) = self.mount_point(c, "builder.cache path") else { continue };
            if workdir.starts_with(&path) {
                self.error(
                    c.span,
                    format!("the cache mount `{path}` covers `builder.workdir` `{workdir}`: `run` would not see the build context there, and what it writes there is not in the builder's output"),
                    "mount the cache below or beside the workdir (`/src/target`, `/root/.cache/go-build`), or choose another `builder.workdir`",
                );
                continue;
            }
            self.caches.push((path.clone(), c.span));
            cache.push(path);
        }
        let mut secrets = Vec::new();
        for s in &b.secrets {
            let Some(id) = &s.id else {
                self.error(s.span, "a secret has no `id`", "write `{id: netrc, target: /root/.netrc}` and pass `--secret id=netrc,src=...`");
                continue;
            };
            let id_text = self.text(id);
            // The id names a file under /run/secrets by default and a `--secret id=` on the command line.
            let id_ok = id_text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && id_text.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !id_ok {
                self.error(
                    id.span,
                    format!("secret id `{}` is not a name", id_text.escape_debug()),
                    "use letters, digits, `.`, `_` and `-`, starting with a letter, digit or `_` (e.g. `netrc`)",
                );
                continue;
            }
            let target = match &s.target {
                Some(t) => self.mount_point(t, "secret target"),
                None => match AbsPath::parse(&format!("/run/secrets/{id_text}")) {
                    Ok(target) => Some(target),
                    Err(e) => {
                        self.path_error(id.span, "secret target", &format!("/run/secrets/{id_text}"), e);
                        None
                    }
                },
            };
            if let Some(target) = target {
                secrets.push(SecretMount { id: id_text, target });
            }
        }
        let network = match b.network.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "default")) => Network::Default,
            Some((_, "none")) => Network::None,
            Some((_, "host")) => Network::Host,
            Some((n, other)) => {
                self.error(n.span, format!("`network: {other}` is not a choice"), "write `default`, `none` or `host`");
                Network::Default
            }
        };
        let runs_on = match b.platform.as_ref().map(|n| (n, n.value.as_str())) {
            None | Some((_, "build")) => RunsOn::BuildPlatform,
            Some((_, "target")) => RunsOn::TargetPlatform,
            Some((n, other)) => {
                self.error(n.span, format!("`platform: {other}` is not a choice"), "write `build` (cross-compile natively) or `target` (run emulated)");
                RunsOn::BuildPlatform
            }
        };
        Some(Builder {
            image: image?,
            image_span: b.image.as_ref().map_or(b.span, |i| i.span),
            workdir,
            env,
            args,
            run,
            run_spans: b.run.iter().map(|r| r.span).collect(),
            cache,
            secrets,
            ssh: b.ssh.as_ref().is_some_and(|s| s.value),
            network,
            runs_on,
        })
    }

    fn accounts(&mut self, rootfs: &spec::Rootfs) -> Accounts {
        // root and nobody are in every image, listed or not.
        let mut users = vec![accounts::root(), accounts::nobody()];
        let listed: Vec<(Account, Span)> = match &rootfs.users {
            None => vec![(accounts::nonroot(NONROOT_UID), Span::default())],
            Some(list) => list.value.iter().filter_map(|u| self.user(u).map(|a| (a, u.span))).collect(),
        };
        let mut uids: HashMap<u32, AccountName> = users.iter().map(|u| (u.uid, u.name.clone())).collect();
        let mut names: HashSet<AccountName> = users.iter().map(|u| u.name.clone()).collect();
        let mut homes: HashMap<AbsPath, AccountName> = HashMap::new();
        let mut home_spans: Vec<(AbsPath, u32, Span)> = Vec::new();
        for (u, span) in listed {
            if u.name.as_str() == "root" && u.uid == 0 {
                continue; // root is always present; listing it is harmless
            }
            if u.name.as_str() == "nobody" || u.uid == NOBODY_UID {
                self.error(
                    span,
                    format!("user `{}` (uid {}) collides with `nobody` (uid {NOBODY_UID}), which every image has", u.name, u.uid),
                    "remove this entry (to run as nobody, set `image.user: nobody`), or give the user another name and uid",
                );
                continue;
            }
            if let Some(other) = uids.get(&u.uid) {
                self.error(span, format!("users `{other}` and `{}` share uid {}", u.name, u.uid), "give each user its own uid");
                self.failed_users.insert(u.name.to_string());
                continue;
            }
            if !names.insert(u.name.clone()) {
                self.error(span, format!("user `{}` is listed twice", u.name), "keep one entry per user name");
                continue;
            }
            if u.home.as_str() != NO_HOME {
                if let Some(other) = homes.get(u.home.path()) {
                    self.error(
                        span,
                        format!("users `{other}` and `{}` share the home `{}`", u.name, u.home),
                        format!("a home belongs to one user (it is owned by it, mode 0700); give `{}` its own, or `home: {NO_HOME}`", u.name),
                    );
                    self.failed_users.insert(u.name.to_string());
                    continue;
                }
                homes.insert(u.home.path().clone(), u.name.clone());
            }
            uids.insert(u.uid, u.name.clone());
            home_spans.push((u.home.path().clone(), u.uid, span));
            users.push(u);
        }
        self.nested_homes(&users, &home_spans);
        let user_names: HashSet<&str> = users.iter().map(|u| u.name.as_str()).collect();
        // nogroup (65534) is in every image, like nobody.
        let mut extra = vec![accounts::nogroup()];
        let mut extra_spans = vec![Span::default()];
        let mut gids: HashSet<u32> = users.iter().map(|u| u.gid).collect();
        for g in &rootfs.groups {
            let (Some(name), Some(gid)) = (&g.name, &g.gid) else {
                self.error(g.span, "a group needs `name` and `gid`", "write `{name: app, gid: 2000}`");
                continue;
            };
            let Some(name) = self.account_name(name, "group") else { continue };
            let Some(gid_num) = self.id(gid, "gid") else { continue };
            if !gids.insert(gid_num) {
                self.error(gid.span, format!("gid {gid_num} is already used"), "give each group its own gid");
                continue;
            }
            let mut members = Vec::new();
            for s in &g.members {
                let Some(m) = self.account_name(s, "group member") else { continue };
                if user_names.contains(m.as_str()) {
                    members.push(m);
                } else if !self.failed_users.contains(m.as_str()) {
                    self.error(s.span, format!("group member `{m}` is not a user"), "add it to `rootfs.users` or remove it");
                }
            }
            extra.push(GroupEntry { name, gid: gid_num, members });
            extra_spans.push(g.name.as_ref().map_or(g.span, |n| n.span));
        }
        let groups = primary_groups(&users, &extra);
        let primary = groups.len() - extra.len();
        let primary_names: HashSet<&str> = groups[..primary].iter().map(|g| g.name.as_str()).collect();
        let mut group_names: HashMap<&str, u32> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            if let Some(other_gid) = group_names.insert(g.name.as_str(), g.gid) {
                let span = extra_spans.get(i.wrapping_sub(primary)).copied().unwrap_or_default();
                let why = if i >= primary && primary_names.contains(g.name.as_str()) {
                    format!("user `{}` already has a primary group of that name (gid {other_gid})", g.name)
                } else {
                    format!("it is already defined with gid {other_gid}")
                };
                self.error(
                    span,
                    format!("group `{}` is defined twice: {why}", g.name),
                    "give each group its own name: each user has a group of its own name, and `nogroup` (65534) is always there",
                );
            }
        }
        Accounts::new(users, groups)
    }

    /// Homes are 0700: a home inside another user's home cannot be reached by its own user.
    fn nested_homes(&mut self, users: &[Account], listed: &[(AbsPath, u32, Span)]) {
        let with_home: Vec<&Account> = users.iter().filter(|u| u.home.as_str() != NO_HOME && u.home.as_str() != "/").collect();
        for (home, uid, span) in listed.iter().filter(|(_, uid, _)| *uid != 0) {
            let outer = with_home.iter().find(|o| o.uid != *uid && home.as_str().starts_with(&format!("{}/", o.home.as_str().trim_end_matches('/'))));
            if let Some(outer) = outer {
                let name = users.iter().find(|u| u.uid == *uid).map_or_else(String::new, |u| u.name.to_string());
                self.error(
                    *span,
                    format!("the home of `{name}` (`{home}`) is inside the home of `{}`, which only `{}` may enter (mode 0700)", outer.name, outer.name),
                    format!("give `{name}` a home of its own, e.g. `home: /home/{name}`"),
                );
            }
        }
    }

    /// A user or group name after substitution, checked by useradd's rule.
    fn account_name(&mut self, s: &Str, what: &str) -> Option<AccountName> {
        let text = self.text(s);
        match AccountName::parse(&text) {
            Ok(n) => Some(n),
            Err(why) => {
                self.error(s.span, format!("`{}` is not a valid {what} name", text.escape_debug()), why);
                None
            }
        }
    }

    /// A uid or gid: a whole number from 0 to 4294967294 (4294967295 is `(uid_t)-1`, "no user").
    fn id(&mut self, s: &Str, what: &str) -> Option<u32> {
        let text = self.text(s);
        match accounts::parse_id(&text) {
            Ok(n) => Some(n),
            Err(IdError::OutOfRange) => {
                self.error(s.span, format!("{what} {text} is out of range"), accounts::id_range_hint(what));
                None
            }
            Err(IdError::NotANumber) => {
                self.error(s.span, format!("{what} `{}` is not a number", text.escape_debug()), format!("write the {what} as a whole number, e.g. 10001"));
                None
            }
        }
    }

    /// A home or shell: after substitution an absolute path that cannot split an /etc/passwd row.
    fn passwd_path(&mut self, s: &Str, what: &str) -> Option<PasswdPath> {
        let text = self.text(s);
        match PasswdPath::parse(&text) {
            Ok(p) => Some(p),
            Err(PasswdPathError::Path(e)) => {
                self.path_error(s.span, what, &text, e);
                None
            }
            Err(PasswdPathError::Colon) => {
                self.error(
                    s.span,
                    format!("{what} `{}` contains `:`", text.escape_debug()),
                    "`:` separates the fields of /etc/passwd; choose a path without it",
                );
                None
            }
        }
    }

    fn user(&mut self, u: &spec::User) -> Option<Account> {
        let Some(name) = &u.name else {
            self.error(u.span, "a user has no `name`", "write `{name: app, uid: 10001}`");
            return None;
        };
        let name = self.account_name(name, "user")?;
        let account = self.user_fields(u, name.clone());
        if account.is_none() {
            self.failed_users.insert(name.to_string());
        }
        account
    }

    /// The rest of a user entry, once its name is valid.
    fn user_fields(&mut self, u: &spec::User, name: AccountName) -> Option<Account> {
        let Some(uid_s) = &u.uid else {
            self.error(u.span, format!("user `{name}` has no `uid`"), "add `uid: 10001` (any unused number above 999)");
            return None;
        };
        let uid = self.id(uid_s, "uid")?;
        let gid = match &u.gid {
            Some(g) => self.id(g, "gid")?,
            None => uid,
        };
        let home = match &u.home {
            Some(h) => {
                let home = self.passwd_path(h, "home")?;
                if uid != 0 && is_system_dir(home.path()) {
                    self.error(
                        h.span,
                        format!("home `{home}` is a system directory"),
                        format!("a home is owned by its user with mode 0700; write `/home/{name}`, or `{NO_HOME}` for none"),
                    );
                    return None;
                }
                home
            }
            None => PasswdPath::parse(&format!("/home/{name}")).expect("a valid name is a valid file name"),
        };
        let shell = match &u.shell {
            Some(s) => self.passwd_path(s, "shell")?,
            None => PasswdPath::parse("/sbin/nologin").expect("constant path"),
        };
        Some(Account { name, uid, gid, home, shell })
    }

    fn owner(&mut self, s: &Str, accounts: &Accounts) -> Owner {
        let text = self.text(s);
        match accounts.resolve(&text) {
            Ok(o) => o,
            // That user's own entry already has the error.
            Err(Unknown::User(u) | Unknown::Group(u)) if self.failed_users.contains(&u) => Owner::ROOT,
            Err(why) => {
                // Suggestions cost a pass over the names each; the first few errors get them, which is
                // all a reader sees, so a spec with many bad owners stays linear.
                self.suggestions = self.suggestions.saturating_sub(1);
                let suggest = self.suggestions > 0;
                let hint = match &why {
                    Unknown::User(u) => name_hint(u, "users", "`rootfs.users`", suggest, || accounts.names(), accounts.users().len()),
                    Unknown::Group(g) => name_hint(g, "groups", "`rootfs.groups`", suggest, || accounts.group_names(), accounts.groups().len()),
                    Unknown::OutOfRange(what, _) => accounts::id_range_hint(what),
                };
                self.error(s.span, format!("owner `{}`: {why}", text.escape_debug()), hint);
                Owner::ROOT
            }
        }
    }

    /// `context:<path>` → the context; otherwise the builder (or, without a builder, the context).
    fn source(&mut self, s: &Str, has_builder: bool) -> Option<(Source, bool)> {
        let text = self.text(s);
        let is_dir = text.ends_with('/');
        if let Some(rel) = text.strip_prefix("context:") {
            if let Some((name, rel)) = rel.split_once(':').filter(|(name, _)| is_context_name(name)) {
                return match context_path(rel) {
                    Ok(path) => Some((Source::Named { name: name.to_string(), path }, is_dir)),
                    Err(e) => {
                        self.path_error(s.span, &format!("path in context `{name}`"), rel, e);
                        None
                    }
                };
            }
            return match context_path(rel) {
                Ok(p) => Some((Source::Context(p), is_dir)),
                Err(e) => {
                    self.path_error(s.span, "context path", rel, e);
                    None
                }
            };
        }
        if !has_builder {
            return match context_path(&text) {
                Ok(p) => Some((Source::Context(p), is_dir)),
                Err(e) => {
                    self.path_error(s.span, "context path", &text, e);
                    None
                }
            };
        }
        match AbsPath::parse(&text) {
            Ok(p) => Some((Source::Builder(p), is_dir)),
            Err(PathError::Relative) => {
                self.error(
                    s.span,
                    format!("`{text}` is a relative path in the builder"),
                    format!("write the absolute path the build writes to, e.g. `/out/{text}`, or `context:{text}` for a file of the build context"),
                );
                None
            }
            Err(e) => {
                self.path_error(s.span, "copy source", &text, e);
                None
            }
        }
    }

    fn copies(&mut self, spec: &spec::Spec, has_builder: bool, accounts: &Accounts) -> Vec<Copy> {
        if spec.copy.is_empty() {
            self.error(spec.copy_span, "`copy` lists nothing", "list at least one file, e.g. `copy: [/out/app]`");
        }
        let mut out: Vec<Copy> = Vec::new();
        let mut dests: HashMap<AbsPath, usize> = HashMap::new();
        for c in &spec.copy {
            let Some(from) = &c.from else { continue };
            let Some((source, is_dir)) = self.source(from, has_builder) else { continue };
            if let Source::Builder(path) = &source {
                if let Some((cache, at)) = self.caches.iter().find(|(cache, _)| path.starts_with(cache)) {
                    let (cache, line) = (cache.clone(), at.line);
                    self.error(
                        from.span,
                        format!(
                            "`{path}` is in the cache mount `{cache}` (`builder.cache`, line {line}): a cache mount's contents are not in the builder's output"
                        ),
                        format!("copy it out of the cache at the end of `run` (`cp -r {path} /out/`) and copy that, or take `{cache}` out of `builder.cache`"),
                    );
                    continue;
                }
            }
            let dest = match &c.to {
                Some(to) => {
                    let to_dir = names_directory(&to.value);
                    let Some(base) = self.abs_path(to, "copy destination") else { continue };
                    let name = match &source {
                        Source::Builder(p) => p.file_name().map(str::to_string),
                        Source::Context(p) | Source::Named { path: p, .. } => p.rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_string),
                    };
                    match (to_dir && !is_dir, name) {
                        (true, Some(name)) => match base.join(&name) {
                            Ok(dest) => dest,
                            Err(e) => {
                                // Only a length can fail here: `name` is a component of a valid path.
                                self.path_error(to.span, "copy destination", &format!("{base}/{name}"), e);
                                continue;
                            }
                        },
                        _ => base,
                    }
                }
                None => match &source {
                    Source::Builder(p) => p.clone(),
                    Source::Context(p) | Source::Named { path: p, .. } => match AbsPath::parse(&format!("/{p}")) {
                        Ok(d) => d,
                        Err(e) => {
                            self.path_error(from.span, "copy destination", &format!("/{p}"), e);
                            continue;
                        }
                    },
                },
            };
            if dest.as_str() == "/" && !is_dir {
                self.error(from.span, "a file cannot be copied onto `/`", "give it a destination with `to:`");
                continue;
            }
            if dest.as_str() == "/" {
                // Whatever the build left in the directory would land over users, certificates and /tmp
                // unseen, and no path in it could be checked before the build.
                self.error(
                    c.span,
                    format!("`{}` is copied into `/`: what the build leaves there would cover the root filesystem", crate::diag::escape(&from.value, 64)),
                    "copy it into a directory of its own (`to: /app/`), or each part where it goes (`{from: /out/bin/, to: /usr/local/bin/}`)",
                );
                continue;
            }
            let mode = c.mode.as_ref().and_then(|m| self.mode(m));
            if let (Some(m), Some(written)) = (mode, &c.mode) {
                // A copy's mode applies to every file it copies, a directory's included.
                self.risky_mode(written.span, &dest, m, false);
            }
            let owner = c.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            if let Some(line) = dests.get(&dest) {
                self.error(c.span, format!("`{dest}` is copied twice"), format!("the first copy is on line {line}; give one of them another `to:`"));
                continue;
            }
            dests.insert(dest.clone(), c.span.line);
            out.push(Copy { from: source, dest, contents: is_dir, mode, owner, span: c.span });
        }
        self.copies_into_copies(&out);
        out
    }

    /// A copy whose `to` is above an earlier copy's `to` lands inside the directory that one made: BuildKit
    /// puts a file or a directory copied onto an existing directory inside it (`/opt/app/app`). A copy of
    /// a directory's contents (`from: /out/site/`) merges into it, as meant.
    fn copies_into_copies(&mut self, copies: &[Copy]) {
        let by_dest: BTreeMap<&str, usize> = copies.iter().enumerate().map(|(i, c)| (c.dest.as_str(), i)).collect();
        for (i, c) in copies.iter().enumerate().filter(|(_, c)| !c.contents) {
            // The destinations below `c.dest` are one run of the sorted map: from `dest/` up to `dest0`.
            let (low, high) = (format!("{}/", c.dest), format!("{}0", c.dest));
            let earlier = by_dest.range(low.as_str()..high.as_str()).map(|(_, j)| *j).filter(|j| *j < i).min();
            if let Some(inner) = earlier.map(|j| &copies[j]) {
                self.error(
                    c.span,
                    format!(
                        "`{}` is copied after `{}`, which is inside it: by then `{}` is a directory, and this copy would land inside it",
                        c.dest, inner.dest, c.dest
                    ),
                    format!(
                        "list this entry before line {} if `from` is a directory; a file cannot have files below it: give it another `to:` (e.g. `{}/{}`)",
                        inner.span.line,
                        c.dest,
                        source_name(&c.from).unwrap_or("app")
                    ),
                );
            }
        }
    }

    /// Copies must not replace what the rootfs writes (see [`claims`]). Returns the files the rootfs
    /// writes (for the build-time check of directory contents). (The rootfs directories the copies go
    /// into are made again by the application layer: `lower` knows them from the pieces.)
    fn over_rootfs(&mut self, copies: &[Copy], rootfs: &[Piece], accounts: &Accounts, package_metadata: bool) -> Vec<RootfsFile> {
        let claims = rootfs_claims(rootfs, accounts, package_metadata);
        for (copy, (meets, _)) in copies.iter().zip(claims.walk(copies.iter().map(|c| &c.dest))) {
            let dest = &copy.dest;
            match meets {
                Meets::Free => {}
                Meets::Above(_) if copy.contents => {}
                Meets::Equal(i) | Meets::Below(i) => {
                    let c = &claims.claims[i];
                    let message = match c.kind {
                        Kind::Dir { mode, .. } => format!("`{dest}` is the directory {} makes (mode {mode}): a copy onto it replaces it", c.by),
                        Kind::File | Kind::Tree if dest == &c.path => format!("`{dest}` is written by {}: this copy would replace it", c.by),
                        Kind::File | Kind::Tree => format!("`{dest}` is inside `{}`, which {} writes", c.path, c.by),
                    };
                    self.error(copy.span, message, c.hint.clone());
                }
                Meets::Above(i) => {
                    let c = &claims.claims[i];
                    self.error(
                        copy.span,
                        format!("`{dest}` holds `{}` ({}): a file copied onto it would hide what the rootfs puts there", c.path, c.by),
                        format!("to copy a directory's contents into `{dest}`, end `from` with `/` (e.g. `{{from: /out{dest}/, to: {dest}/}}`)"),
                    );
                }
            }
        }
        let mut files: Vec<RootfsFile> = claims
            .claims
            .into_iter()
            .filter(|c| matches!(c.kind, Kind::File | Kind::Tree))
            .map(|c| RootfsFile { path: c.path, by: c.by, hint: c.hint })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    fn rootfs(&mut self, r: &spec::Rootfs, accounts: &Accounts, has_builder: bool) -> (Vec<Piece>, bool) {
        let mut pieces = vec![Piece::Accounts(accounts.clone())];
        let listed = |name: &str| r.users.as_ref().and_then(|l| l.value.iter().find(|u| u.name.as_ref().is_some_and(|n| n.value == name))).map(|u| u.span);
        let homes: Vec<Home> = accounts
            .homes()
            .into_iter()
            .map(|a| Home { path: a.home.path().clone(), owner: Owner { uid: a.uid, gid: a.gid }, span: listed(a.name.as_str()) })
            .collect();
        if !homes.is_empty() {
            pieces.push(Piece::Homes(homes));
        }
        if r.tmp.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Tmp);
        }
        if r.nsswitch.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Nsswitch);
        }
        self.ca_certificates(r, has_builder, &mut pieces);
        self.data_files(r, has_builder, &mut pieces);
        let zones_off = self.timezones(r, has_builder, &mut pieces);
        self.dirs_and_files(r, accounts, &mut pieces);
        (pieces, zones_off)
    }

    /// The CA bundle: the builder's, another file, or none.
    fn ca_certificates(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) {
        match &r.ca_certificates {
            None | Some(Toggle::On(_)) => {
                if has_builder {
                    pieces.push(Piece::CaCertificates(Source::Builder(AbsPath::parse(CA_BUNDLE).expect("constant path"))));
                } else if let Some(Toggle::On(span)) = &r.ca_certificates {
                    self.error(
                        *span,
                        "there is no builder to take CA certificates from",
                        "write `ca-certificates: {from: context:path/to/ca.pem}`, or add a `builder`",
                    );
                }
            }
            Some(Toggle::Off(_)) => {}
            Some(Toggle::With(from)) => {
                match self.source(from, has_builder) {
                    // The bundle is one file: a directory (`/`, `certs/`) would be copied onto its path.
                    // The bundle's own directories (`/etc/ssl/certs`) are directories in every builder.
                    Some((source, is_dir))
                        if is_dir
                            || matches!(&source, Source::Builder(p) if CA_BUNDLE.starts_with(&format!("{}/", p.as_str().trim_end_matches('/'))))
                            || source == Source::Context(String::new()) =>
                    {
                        self.error(from.span, "`ca-certificates.from` must name one file, the PEM bundle", "e.g. `{from: context:certs/ca.pem}`");
                    }
                    Some((Source::Named { .. }, _)) => self.error(
                        from.span,
                        "`ca-certificates.from` reads the builder or the main build context, not a named context",
                        "copy the bundle from the named context with `copy` instead, or use `context:<path>`",
                    ),
                    Some((source, _)) => pieces.push(Piece::CaCertificates(source)),
                    None => {}
                }
            }
        }
    }

    /// `/etc/services`, `/etc/protocols`, `/etc/mime.types`: taken when the builder has them, unless off.
    fn data_files(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) {
        for (file, toggle) in [(DataFile::Services, &r.services), (DataFile::Protocols, &r.protocols), (DataFile::MimeTypes, &r.mime_types)] {
            match toggle {
                Some(t) if !t.value => {}
                _ if has_builder => pieces.push(Piece::DataFile { file, requested: toggle.as_ref().map(|t| t.span) }),
                None => {}
                Some(t) => self.error(
                    t.span,
                    format!("there is no builder to take `{}` from", file.path()),
                    format!("add a `builder` that has it (Debian: `{}`), or set `rootfs.{}: false`", file.package(), file.key()),
                ),
            }
        }
    }

    /// The zone database, all of it or the listed zones; returns whether zones were turned off.
    fn timezones(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) -> bool {
        let mut zones_off = false;
        match &r.timezones {
            None => {
                if has_builder {
                    pieces.push(Piece::Timezones(Zones::All));
                }
            }
            Some(spec::Timezones::Word(w)) => match w.value.as_str() {
                "all" if has_builder => pieces.push(Piece::Timezones(Zones::All)),
                "all" => self.error(w.span, "there is no builder to take time zones from", "add a `builder`, or write `timezones: none`"),
                "none" => zones_off = true,
                other => {
                    self.error(w.span, format!("`timezones: {other}` is not a choice"), "write `all`, `none`, or a list such as `[Europe/Amsterdam, UTC]`")
                }
            },
            Some(spec::Timezones::List(span, zones)) => {
                let mut names = Vec::new();
                for z in zones {
                    let valid = !z.value.is_empty()
                        && !z.value.starts_with('/')
                        && z.value.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
                        && z.value.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
                        && AbsPath::parse(ZONEINFO).and_then(|d| d.join(&z.value)).is_ok();
                    if valid {
                        names.push(z.value.clone());
                    } else {
                        self.error(
                            z.span,
                            format!("`{}` is not a time zone name", z.value),
                            "write names as in the tz database, e.g. `Europe/Amsterdam` or `UTC`",
                        );
                    }
                }
                names.sort();
                names.dedup();
                if !has_builder {
                    self.error(*span, "there is no builder to take time zones from", "add a `builder`, or write `timezones: none`");
                } else if names.is_empty() {
                    zones_off = true;
                } else {
                    pieces.push(Piece::Timezones(Zones::Only(names)));
                }
            }
        }
        zones_off
    }

    /// The spec's own `dirs` and `files`.
    fn dirs_and_files(&mut self, r: &spec::Rootfs, accounts: &Accounts, pieces: &mut Vec<Piece>) {
        let dirs: Vec<DirEntry> = r
            .dirs
            .iter()
            .filter_map(|d| {
                let path = self.abs_path(d.path.as_ref()?, "dir path")?;
                let mode = d.mode.as_ref().map_or(Some(Mode::new(0o755)), |m| self.mode(m))?;
                if let Some(written) = &d.mode {
                    self.risky_mode(written.span, &path, mode, true);
                }
                let owner = d.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
                Some(DirEntry { path, mode, owner, span: Some(d.span) })
            })
            .collect();
        for d in r.dirs.iter().filter(|d| d.path.is_none()) {
            self.error(d.span, "a dir has no `path`", "write `{path: /data, mode: \"0750\"}`");
        }
        // A path listed twice the same way is made once; two different ways cannot both hold.
        let mut first: HashMap<AbsPath, DirEntry> = HashMap::new();
        let dirs: Vec<DirEntry> = dirs
            .into_iter()
            .filter(|d| match first.get(&d.path) {
                None => {
                    first.insert(d.path.clone(), d.clone());
                    true
                }
                Some(f) if f.mode == d.mode && f.owner == d.owner => false,
                Some(f) => {
                    let line = f.span.map_or(0, |s| s.line);
                    self.error(
                        d.span.unwrap_or_default(),
                        format!("`{}` is listed twice in `rootfs.dirs`, with another mode or owner than on line {line}", d.path),
                        "keep one entry for it",
                    );
                    false
                }
            })
            .collect();

        if !dirs.is_empty() {
            pieces.push(Piece::Dirs(dirs));
        }
        let mut files = Vec::new();
        for f in &r.files {
            let (Some(path), Some(content)) = (&f.path, &f.content) else {
                self.error(f.span, "a file needs `path` and `content`", "write `{path: /etc/app/motd, content: \"hello\\n\"}`");
                continue;
            };
            let Some(path) = self.abs_path(path, "file path") else { continue };
            let content = self.text(content);
            let Some(mode) = f.mode.as_ref().map_or(Some(Mode::new(0o644)), |m| self.mode(m)) else { continue };
            if let Some(written) = &f.mode {
                self.risky_mode(written.span, &path, mode, false);
            }
            let owner = f.owner.as_ref().map_or(Owner::ROOT, |o| self.owner(o, accounts));
            files.push(FileEntry { path, content, mode, owner, span: f.span });
        }
        if !files.is_empty() {
            pieces.push(Piece::Files(files));
        }
    }

    fn image(&mut self, spec: &spec::Spec, copies: &[Copy], accounts: &Accounts, rootfs: &[Piece], zones_off: bool) -> ImageConfig {
        let i = &spec.image;
        let list = |p: &mut Self, l: &Spanned<Vec<Str>>, what: &str| {
            l.value
                .iter()
                .map(|s| {
                    let text = p.text(s);
                    p.no_nul(s.span, what, &text, "a program's arguments are C strings: remove it");
                    text
                })
                .collect::<Vec<_>>()
        };
        let cmd = i.cmd.as_ref().map(|c| list(self, c, "`image.cmd`"));
        let cmd_span = i.cmd.as_ref().map(|c| c.value.first().map_or(c.span, |s| s.span));
        let (entrypoint, entrypoint_span) = match &i.entrypoint {
            Some(e) => (Some(list(self, e, "`image.entrypoint`")).filter(|e| !e.is_empty()), e.span),
            None => {
                let files: Vec<&Copy> = copies.iter().filter(|c| !c.contents).collect();
                match (files.as_slice(), &cmd) {
                    ([only], _) => (Some(vec![only.dest.to_string()]), only.span),
                    // `cmd[0]` is the program: later checks of it point there.
                    (_, Some(_)) => (None, cmd_span.unwrap_or(spec.copy_span)),
                    (_, None) => {
                        if !copies.is_empty() {
                            self.error(
                                spec.copy_span,
                                format!("no entrypoint: `copy` lists {} files, so none is the obvious one", files.len()),
                                "set `image.entrypoint: [/path/to/binary]`",
                            );
                        }
                        (None, spec.copy_span)
                    }
                }
            }
        };
        // Without an entrypoint, `cmd[0]` is the program: its errors name `cmd` and point at it.
        let program = match (&entrypoint, &cmd, cmd_span) {
            (Some(e), _, _) => e.first().map(|p| (p, "entrypoint", entrypoint_span)),
            (None, Some(c), Some(span)) => c.first().map(|p| (p, "cmd[0]", span)),
            _ => None,
        };
        if let Some((program, what, span)) = program {
            self.check_program(program, what, span, copies, spec.copy.len(), rootfs);
        }
        let user = match &i.user {
            Some(u) => self.owner(u, accounts),
            // The first listed user: root and nobody are always there, listed or not.
            None => accounts.users().iter().find(|a| a.uid != 0 && a.uid != NOBODY_UID).map_or(Owner::ROOT, |a| Owner { uid: a.uid, gid: a.gid }),
        };
        // With other errors (users that failed to parse, say) the default user may be root by accident.
        if user.uid == 0 && !self.diags.has_errors() {
            // Where it is written, or the users list that leaves no one else.
            let span = match (&i.user, &spec.rootfs.users) {
                (Some(u), _) => u.span,
                (None, Some(users)) => users.span,
                (None, None) => spec.copy_span,
            };
            self.warn(span, "the image runs as root", "leave `image.user` unset to run as `nonroot` (65532), or name a user from `rootfs.users`");
        }
        let workdir = match &i.workdir {
            Some(w) => self.abs_path(w, "image.workdir").unwrap_or_else(AbsPath::root),
            None => AbsPath::root(),
        };
        let has_ca = rootfs.iter().any(|p| matches!(p, Piece::CaCertificates(_)));
        let mut env: Vec<(String, String)> = vec![("PATH".into(), DEFAULT_PATH.into())];
        if has_ca {
            env.push(("SSL_CERT_FILE".into(), CA_BUNDLE.into()));
        }
        let mut index: HashMap<String, usize> = env.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
        for (k, v) in &i.env {
            if !is_name(&k.value) {
                self.error(k.span, format!("`{}` is not a valid environment variable name", k.value.escape_debug()), "use letters, digits and `_`");
                continue;
            }
            let value = self.text(v);
            self.no_nul(v.span, &format!("`image.env.{}`", k.value), &value, ENV_NUL);
            if k.value == "TZ" && zones_off {
                self.warn(k.span, "`TZ` is set but `rootfs.timezones` is `none`", "the zone will not load; list it under `rootfs.timezones`");
            }
            match index.get(&k.value) {
                Some(&slot) => env[slot].1 = value,
                None => {
                    index.insert(k.value.clone(), env.len());
                    env.push((k.value.clone(), value));
                }
            }
        }
        let mut exposed_ports = Vec::new();
        for e in &i.expose {
            let text = self.text(e);
            let (port, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
            match (port.parse::<u16>(), proto) {
                (Ok(p), "tcp" | "udp" | "sctp") if p > 0 => exposed_ports.push(format!("{p}/{proto}")),
                _ => self.error(e.span, format!("`{text}` is not a port"), "write a port number with an optional protocol, e.g. 8080 or 9090/udp"),
            }
        }
        exposed_ports.sort();
        exposed_ports.dedup();
        let mut labels: Vec<(String, String)> = Vec::new();
        for (k, v) in &i.labels {
            if k.value.is_empty() {
                self.error(k.span, "a label has an empty name", "name it, e.g. `org.opencontainers.image.source`");
                continue;
            }
            let key_ok = self.no_nul(k.span, &format!("the name of label `{}`", k.value), &k.value, LABEL_NUL);
            let value = self.text(v);
            if key_ok && self.no_nul(v.span, &format!("label `{}`", k.value), &value, LABEL_NUL) {
                labels.push((k.value.clone(), value));
            }
        }
        labels.sort();
        let stop_signal = i.stop_signal.as_ref().map(|s| {
            let text = self.text(s);
            self.no_nul(s.span, "`image.stop-signal`", &text, "write a signal name such as `SIGTERM`, or its number");
            text
        });
        let accept = i.accept.iter().filter_map(|a| Some((self.abs_path(a, "accepted path")?, a.span))).collect();
        ImageConfig { entrypoint, cmd, entrypoint_span, user, workdir, env, exposed_ports, labels, stop_signal, accept }
    }

    /// An absolute entrypoint must be something the image will contain: a copied file, or a file below
    /// a copied directory (`from: /out/` or `from: /out/bin`, which may be a directory too). Whether it
    /// is there and executable is checked once the builder has run.
    fn check_program(&mut self, program: &str, what: &str, span: Span, copies: &[Copy], spec_copies: usize, rootfs: &[Piece]) {
        if program.contains('\0') {
            return; // refused where the list was read
        }
        let path = match AbsPath::parse(program) {
            Ok(path) => path,
            Err(PathError::Relative | PathError::Empty) => {
                self.error(
                    span,
                    format!("{what} `{}` is not an absolute path", program.escape_debug()),
                    "a scratch image has no shell to search PATH reliably; write the full path, e.g. `/usr/local/bin/app`",
                );
                return;
            }
            Err(e) => {
                self.path_error(span, what, program, e);
                return;
            }
        };
        let copied = copies.iter().any(|c| path.starts_with(&c.dest));
        let written = rootfs.iter().any(|p| matches!(p, Piece::Files(fs) if fs.iter().any(|f| f.path == path)));
        // A copy entry with an error of its own may be the one meant to hold it: that error is enough.
        let refused = copies.len() < spec_copies;
        if !copied && !written && !refused {
            self.error(
                span,
                format!("{what} `{path}` is not in the image"),
                format!(
                    "the image contains only what `copy` lists ({}); copy it there or fix the path",
                    list_some(copies.iter().map(|c| c.dest.as_str()), copies.len())
                ),
            );
        }
    }

    fn platforms(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Vec<Platform> {
        if !inputs.platforms.is_empty() {
            // `--platform linux/amd64,linux/amd64`: built once, as a repeat in the spec is.
            let mut out: Vec<Platform> = Vec::new();
            for p in &inputs.platforms {
                if out.contains(p) {
                    self.diags.push(
                        Diagnostic::warning(None, format!("platform `{p}` is requested twice")).hint("it is built once; remove the repeat from `--platform`"),
                    );
                } else {
                    out.push(p.clone());
                }
            }
            return out;
        }
        let mut out = Vec::new();
        for p in &spec.platforms {
            match Platform::parse(&p.value) {
                Ok(pl) if !out.contains(&pl) => out.push(pl),
                Ok(pl) => self.warn(p.span, format!("platform `{pl}` is listed twice"), "it is built once; remove the repeat"),
                Err(why) => self.error(p.span, why, "e.g. `platforms: [linux/amd64, linux/arm64]`"),
            }
        }
        if out.is_empty() {
            out.push(inputs.default_platform.clone().unwrap_or_else(Platform::linux_amd64));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

    #[test]
    fn a_platform_requested_twice_is_built_once_with_a_warning() {
        let inputs = PlanInputs { platforms: vec![Platform::linux_amd64(), Platform::linux_amd64()], ..PlanInputs::default() };
        let (plan, warnings) = plan(&spec::load(BUILDER).expect("the spec loads"), &inputs).expect("it plans");
        assert_eq!(plan.platforms, [Platform::linux_amd64()]);
        assert!(warnings.warnings().any(|w| w.message == "platform `linux/amd64` is requested twice"), "{warnings:?}");
    }

    #[test]
    fn a_builder_without_run_is_legal_without_a_warning() {
        // A file source (a program copied out of a published image), or where a context binary's libraries
        // come from: a warning on either would be one users learn to ignore.
        for copy in ["/usr/bin/env", "context:hello"] {
            let (_, warnings) = planned(&format!("builder:\n  image: debian:bookworm-slim\ncopy: [\"{copy}\"]\n")).expect("it plans");
            assert!(warnings.items.is_empty(), "{copy}: {:?}", warnings.items);
        }
    }

    fn planned(text: &str) -> Result<(Plan, Diagnostics), Diagnostics> {
        plan(&spec::load(text).expect("the spec loads"), &PlanInputs::default())
    }

    fn ok(text: &str) -> Plan {
        planned(text).unwrap_or_else(|e| panic!("{text}: {e:?}")).0
    }

    fn errors(text: &str) -> Vec<String> {
        planned(text).err().unwrap_or_else(|| panic!("{text} planned")).errors().map(|d| d.message.clone()).collect()
    }

    fn with_args(text: &str, args: &[(&str, &str)]) -> Result<(Plan, Diagnostics), Diagnostics> {
        let build_args = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        plan(&spec::load(text).expect("the spec loads"), &PlanInputs { build_args, ..PlanInputs::default() })
    }

    #[test]
    fn context_name_colon_path_reads_a_named_context() {
        let spec = "builder: {image: golang:1.23, run: make}\nimage: {entrypoint: [/out/app]}\ncopy:\n  - /out/app\n  - {from: \"context:web-1.x:dist/\", to: /srv/}\n  - {from: \"context:./a:b\", to: /x}\n  - {from: \"context:Web:y\", to: /y}\n  - {from: \"context:web:z\"}\n";
        let froms: Vec<(Source, String)> = ok(spec).copies.into_iter().map(|c| (c.from, c.dest.to_string())).collect();
        assert_eq!(froms[1], (Source::Named { name: "web-1.x".into(), path: "dist".into() }, "/srv".into()));
        // Not a context name (`./`, upper case): a path of the main context.
        assert_eq!(froms[2], (Source::Context("a:b".into()), "/x".into()));
        assert_eq!(froms[3], (Source::Context("Web:y".into()), "/y".into()));
        // No `to`: the path, as for the main context.
        assert_eq!(froms[4], (Source::Named { name: "web".into(), path: "z".into() }, "/z".into()));
        let errs = errors("builder: {image: golang:1.23, run: make}\ncopy:\n  - {from: \"context:web:../x\", to: /x}\n");
        assert!(errs.iter().any(|e| e.contains("path in context `web` `../x` escapes")), "{errs:?}");
        let errs = errors("builder: {image: golang:1.23, run: make}\ncopy: [/out/app]\nrootfs: {ca-certificates: {from: \"context:certs:ca.pem\"}}\n");
        assert!(errs.iter().any(|e| e.contains("not a named context")), "{errs:?}");
        assert!(is_context_name("a") && is_context_name("0x_y.z-1") && !is_context_name("") && !is_context_name("-a") && !is_context_name("a/b"));
    }

    #[test]
    fn source_date_epoch_is_honoured_declared_or_not() {
        let (plan, _) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", "1700000000")]).unwrap();
        assert_eq!(plan.epoch, Some(1_700_000_000));
        let declared = format!("args: {{SOURCE_DATE_EPOCH: \"0\"}}\n{BUILDER}");
        assert_eq!(with_args(&declared, &[("SOURCE_DATE_EPOCH", "1700000001")]).unwrap().0.epoch, Some(1_700_000_001));
        assert_eq!(with_args(&declared, &[]).unwrap().0.epoch, Some(0));
        assert_eq!(ok(BUILDER).epoch, None);
    }

    #[test]
    fn a_source_date_epoch_past_what_file_times_hold_is_a_warning_and_no_created() {
        assert_eq!(with_args(BUILDER, &[("SOURCE_DATE_EPOCH", &MAX_EPOCH.to_string())]).unwrap().0.epoch, Some(9_223_372_036));
        // 2262-04-11T23:47:17Z; 10000-01-01T00:00:00Z, whose `created` was `10000-01-01T00:00:00Z`; i64::MAX.
        for late in ["9223372037", "253402300800", "9223372036854775807"] {
            let (plan, warnings) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", late)]).unwrap();
            assert_eq!(plan.epoch, None, "{late}");
            assert!(warnings.warnings().any(|w| w.message.contains("later than 2262-04-11T23:47:16Z")), "{late}: {warnings:?}");
        }
    }

    #[test]
    fn a_source_date_epoch_that_is_not_seconds_is_a_warning() {
        for bad in ["yesterday", "-5", "1.5", ""] {
            let (plan, warnings) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", bad)]).unwrap();
            assert_eq!(plan.epoch, None, "{bad:?}");
            assert!(warnings.warnings().any(|w| w.message.contains("not a number of seconds")), "{bad:?}: {warnings:?}");
        }
    }

    /// The data-file pieces in plan order: (key, line the spec asked for it on).
    fn data_files(plan: &Plan) -> Vec<(&'static str, Option<usize>)> {
        plan.rootfs
            .iter()
            .filter_map(|p| if let Piece::DataFile { file, requested } = p { Some((file.key(), requested.map(|s| s.line))) } else { None })
            .collect()
    }

    #[test]
    fn data_files_are_on_by_default_right_after_the_ca_bundle() {
        let plan = ok(BUILDER);
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None), ("mime-types", None)]);
        let names: Vec<&str> = plan.rootfs.iter().map(Piece::name).collect();
        assert_eq!(names, ["users", "home", "tmp", "nsswitch", "ca-certificates", "services", "protocols", "mime-types", "timezones"]);
        let paths: Vec<&str> = DataFile::ALL.iter().map(|f| f.path()).collect();
        assert_eq!(paths, ["/etc/services", "/etc/protocols", "/etc/mime.types"]);
        let packages: Vec<&str> = DataFile::ALL.iter().map(|f| f.package()).collect();
        assert_eq!(packages, ["netbase", "netbase", "media-types"]);
    }

    #[test]
    fn each_data_file_can_be_switched_off_or_asked_for() {
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: true\n"));
        assert_eq!(data_files(&plan), [("protocols", Some(7)), ("mime-types", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  mime-types: false\n"));
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: false\n  mime-types: false\n"));
        assert!(data_files(&plan).is_empty());
    }

    #[test]
    fn without_a_builder_data_files_are_off_and_asking_for_one_is_an_error() {
        let context_only = "copy: [{from: dist/app, to: /app}]\nrootfs:\n  ca-certificates: false\n  timezones: none\n";
        assert!(data_files(&ok(context_only)).is_empty());
        let errs = errors(&format!("{context_only}  mime-types: true\n"));
        assert_eq!(errs, ["there is no builder to take `/etc/mime.types` from"]);
    }

    #[test]
    fn nobody_and_root_home_are_always_there() {
        let plan = ok(BUILDER);
        let Some(Piece::Accounts(accounts)) = plan.rootfs.first() else { panic!("no accounts piece") };
        assert_eq!(
            accounts.passwd(),
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(accounts.group(), "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n");
        let Some(Piece::Homes(homes)) = plan.rootfs.get(1) else { panic!("no homes piece") };
        let homes: Vec<(&str, Owner)> = homes.iter().map(|h| (h.path.as_str(), h.owner)).collect();
        assert_eq!(homes, [("/root", Owner::ROOT), ("/home/nonroot", Owner { uid: NONROOT_UID, gid: NONROOT_UID })]);
        // nobody is not the default user: the first listed one is.
        assert_eq!(plan.image.user, Owner { uid: NONROOT_UID, gid: NONROOT_UID });
    }

    #[test]
    fn the_image_can_run_as_nobody_and_without_listed_users_runs_as_root() {
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody:nogroup\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let (plan, warnings) = planned(&format!("{BUILDER}rootfs:\n  users: []\n")).unwrap();
        assert_eq!(plan.image.user, Owner::ROOT);
        assert!(warnings.warnings().any(|w| w.message == "the image runs as root"), "{warnings:?}");
    }

    #[test]
    fn listed_users_and_groups_cannot_take_nobody_or_nogroup() {
        let errs = errors(&format!(
            "{BUILDER}rootfs:\n  users:\n    - {{name: nobody, uid: 1000}}\n    - {{name: daemon, uid: 65534}}\n    - {{name: app, uid: 10001}}\n  groups:\n    - {{name: nogroup, gid: 3000}}\n    - {{name: app, gid: 3001}}\n    - {{name: extra, gid: 65534}}\n"
        ));
        assert_eq!(
            errs,
            [
                "user `nobody` (uid 1000) collides with `nobody` (uid 65534), which every image has",
                "user `daemon` (uid 65534) collides with `nobody` (uid 65534), which every image has",
                "group `nogroup` is defined twice: it is already defined with gid 65534",
                "group `app` is defined twice: user `app` already has a primary group of that name (gid 10001)",
                "gid 65534 is already used",
            ]
        );
    }

    #[test]
    fn a_copy_onto_a_directory_an_earlier_copy_made_is_an_error() {
        let spec = "builder: {image: golang, run: make}\ncopy: [{from: /out/conf/app.toml, to: /opt/app/conf/app.toml}, {from: /out/app, to: /opt/app}]\nimage: {entrypoint: [/opt/app]}\n";
        let errs = errors(spec);
        assert_eq!(
            errs,
            ["`/opt/app` is copied after `/opt/app/conf/app.toml`, which is inside it: by then `/opt/app` is a directory, and this copy would land inside it"]
        );
        // Listed first (a directory copied whole, then a file into it), or a directory's contents: fine.
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/app, to: /opt/app}, {from: /out/conf/app.toml, to: /opt/app/conf/app.toml}]\nimage: {entrypoint: [/opt/app/bin/app]}\n");
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/conf/app.toml, to: /opt/app/conf/app.toml}, {from: /out/site/, to: /opt/app/}, /out/app]\nimage: {entrypoint: [/out/app]}\n");
        // A sibling that only shares a prefix is not inside.
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/a, to: /opt/app2/a}, {from: /out/app, to: /opt/app}]\nimage: {entrypoint: [/opt/app]}\n");
    }

    #[test]
    fn a_ca_bundle_from_its_own_directory_is_an_error() {
        for from in ["/etc/ssl/certs", "/etc/ssl", "/etc/ssl/certs/"] {
            let spec = format!("builder: {{image: golang, run: make}}\ncopy: [/out/app]\nrootfs: {{ca-certificates: {{from: {from}}}}}\n");
            assert_eq!(errors(&spec), ["`ca-certificates.from` must name one file, the PEM bundle"], "{from}");
        }
        ok("builder: {image: golang, run: make}\ncopy: [/out/app]\nrootfs: {ca-certificates: {from: /etc/ssl/certs/ca-bundle.pem}}\n");
    }

    #[test]
    fn a_dir_listed_twice_is_made_once_and_two_ways_is_an_error() {
        let plan = ok("copy: [context:app]\nrootfs: {dirs: [/data/a, /data, /data/a]}\n");
        let Some(Piece::Dirs(dirs)) = plan.rootfs.iter().find(|p| matches!(p, Piece::Dirs(_))) else { panic!("no dirs") };
        let paths: Vec<&str> = dirs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/data/a", "/data"]);
        assert_eq!(
            errors("copy: [context:app]\nrootfs: {dirs: [/data, {path: /data, mode: \"0700\"}]}\n"),
            ["`/data` is listed twice in `rootfs.dirs`, with another mode or owner than on line 2"]
        );
    }

    #[test]
    fn a_home_inside_another_users_home_is_an_error_at_the_inner_user() {
        let spec = "copy: [context:app]\nrootfs:\n  users:\n    - {name: inner, uid: 1001, home: /home/app/inner}\n    - {name: app, uid: 1000}\n";
        assert_eq!(errors(spec), ["the home of `inner` (`/home/app/inner`) is inside the home of `app`, which only `app` may enter (mode 0700)"]);
        ok("copy: [context:app]\nrootfs:\n  users: [{name: app, uid: 1000}, {name: other, uid: 1001, home: /home/app2}]\n");
    }
}

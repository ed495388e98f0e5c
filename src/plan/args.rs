//! Build-arg substitution: `${NAME}` for every arg declared under `args:`.

use crate::rules::codes::*;
use std::collections::{BTreeMap, HashSet};

use super::build::{PlanInputs, Planner};
use super::values::ENV_NUL;
use crate::diag::{did_you_mean, Diagnostic};
use crate::spec;

/// What `${...}` references in one string resolved to.
pub struct Substituted {
    pub text: String,
    /// Names inside `${...}` that no arg declares, with their byte offset in the original string.
    pub undeclared: Vec<(String, usize)>,
    /// The result would pass the limit; `text` stops before it.
    pub too_long: bool,
}

/// Replaces `${NAME}` with the arg's value, and `$$` with `$` (so `$${NAME}` is a literal `${NAME}`). Undeclared names are left as written and reported, so fields
/// can refuse them. (`run` commands are never substituted: the args are their environment.)
///
/// The result is at most `limit` bytes (or the text's own length): `${A}${A}…` cannot multiply an arg's
/// size without bound.
pub fn substitute(text: &str, args: &BTreeMap<String, String>, limit: usize) -> Substituted {
    let limit = limit.max(text.len());
    let mut out = String::with_capacity(text.len());
    let mut undeclared = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after_dollar = &rest[start + 1..];
        if let Some(after_escape) = after_dollar.strip_prefix('$') {
            // `$$` is one literal `$`: `$${NAME}` is the text `${NAME}`.
            out.push('$');
            offset += start + 2;
            rest = after_escape;
            continue;
        }
        let Some(after) = after_dollar.strip_prefix('{') else {
            out.push('$');
            offset += start + 1;
            rest = after_dollar;
            continue;
        };
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                let name = &after[..end];
                match args.get(name) {
                    Some(value) if out.len() + value.len() + (rest.len() - start - 3 - end) > limit => {
                        return Substituted { text: out, undeclared, too_long: true };
                    }
                    Some(value) => out.push_str(value),
                    None => {
                        undeclared.push((name.to_string(), offset + start));
                        out.push_str(&rest[start..start + 3 + end]);
                    }
                }
                offset += start + 3 + end;
                rest = &after[end + 1..];
            }
            _ => {
                // `${` followed by something that is not a plain name (`${x:-y}`): leave it to the shell.
                out.push_str("${");
                offset += start + 2;
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Substituted { text: out, undeclared, too_long: false }
}

pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// The `args` section: declared args, `--build-arg` values, `SOURCE_DATE_EPOCH`.

/// The longest build arg value.
pub const MAX_ARG_VALUE: usize = 256 * 1024;

/// The latest `SOURCE_DATE_EPOCH`: file times are nanoseconds in an `int64` (BuildKit's, and the
/// kernel's), which end in 2262, long before `created`'s four-digit year (9999) does.
pub const MAX_EPOCH: i64 = i64::MAX / 1_000_000_000;
pub(super) const MAX_EPOCH_TEXT: &str = "2262-04-11T23:47:16Z";

/// Why an arg cannot have this name: the builder sets it in every `run` after the args.
pub(super) fn reserved_arg(name: &str) -> Option<&'static str> {
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
pub(super) fn is_buildkit_arg(name: &str) -> bool {
    const KNOWN: &[&str] = &[
        "SOURCE_DATE_EPOCH",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
    ];
    const PROXIES: &[&str] = &["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];
    // SCRATCHKIT_ALLOW_OLD_BUILDKIT is read by the frontend itself (see `frontend::ALLOW_OLD_BUILDKIT`).
    // SCRATCHKIT_ALLOW_OLD_BUILDKIT and SCRATCHKIT_CHECKS are read by the frontend itself.
    name.starts_with("BUILDKIT_")
        || matches!(name, "SCRATCHKIT_ALLOW_OLD_BUILDKIT" | "SCRATCHKIT_CHECKS")
        || KNOWN.contains(&name)
        || PROXIES.iter().any(|p| p.eq_ignore_ascii_case(name))
}

impl Planner {
    pub(super) fn args(&mut self, spec: &spec::Spec, inputs: &PlanInputs) {
        for (name, default) in &spec.args {
            if !is_name(&name.value) {
                self.error(
                    SK201,
                    name.span,
                    format!("`{}` is not a valid arg name", name.value),
                    "use letters, digits and `_`, starting with a letter",
                );
                continue;
            }
            if let Some(hint) = reserved_arg(&name.value) {
                self.error(SK202, name.span, format!("arg `{}` would be overridden in every `run`", name.value), hint);
                continue;
            }
            let value = inputs.build_args.get(&name.value).cloned().unwrap_or_else(|| default.value.clone());
            if value.len() > MAX_ARG_VALUE {
                self.error(
                    SK203,
                    name.span,
                    format!(
                        "build arg `{}` is {} bytes long; at most {} KiB",
                        name.value,
                        value.len(),
                        MAX_ARG_VALUE / 1024
                    ),
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
                Some(s) => {
                    format!("build arg `{shown}` is not used: no `args:` entry declares it; did you mean `{s}`?")
                }
                None => format!("build arg `{shown}` is not used: no `args:` entry declares it"),
            };
            let hint = format!(
                "declare it under `args:` (e.g. `args: {{{shown}: default}}`) to use it, or drop the --build-arg"
            );
            self.diags.push(Diagnostic::warning(SK204, None, message).hint(hint));
        }
    }

    /// `SOURCE_DATE_EPOCH`, declared under `args:` or not (BuildKit passes it as a build arg either way).
    /// A value that is not a count of seconds is a warning, and the build is not reproducible.
    pub(super) fn epoch(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Option<i64> {
        const NAME: &str = "SOURCE_DATE_EPOCH";
        let value = self.args.get(NAME).or_else(|| inputs.build_args.get(NAME))?.clone();
        match value.trim().parse::<i64>() {
            Ok(secs) if (0..=MAX_EPOCH).contains(&secs) && !value.trim().is_empty() => Some(secs),
            Ok(secs) if secs > MAX_EPOCH => {
                let span = spec.args.iter().find(|(name, _)| name.value == NAME).map(|(name, _)| name.span);
                let message = format!(
                    "`{NAME}` is {secs}, later than {MAX_EPOCH_TEXT}, the last second a layer's file times can hold: file times fall back to 0 and the image has no `created`"
                );
                self.diags.push(
                    Diagnostic::warning(SK205, span, message)
                        .hint("pass `--build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`"),
                );
                None
            }
            _ => {
                // Located at the `args:` entry when the spec declares it; from the command line it has no line.
                let span = spec.args.iter().find(|(name, _)| name.value == NAME).map(|(name, _)| name.span);
                let message = format!(
                    "`{NAME}` is `{}`, not a number of seconds since 1970: file times fall back to 0 and the image has no `created`",
                    crate::diag::escape(&value, 64)
                );
                self.diags.push(
                    Diagnostic::warning(SK206, span, message)
                        .hint("pass `--build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)`"),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_declared_args_and_reports_the_rest() {
        let args = BTreeMap::from([("VERSION".to_string(), "1.2".to_string())]);
        let s = substitute("v${VERSION}-${ARCH} ${x:-y} $HOME", &args, 100);
        assert_eq!(s.text, "v1.2-${ARCH} ${x:-y} $HOME");
        assert_eq!(s.undeclared, vec![("ARCH".to_string(), 12)]);
        assert!(!s.too_long);
    }

    #[test]
    fn a_doubled_dollar_is_one_literal_dollar() {
        let args = BTreeMap::from([("V".to_string(), "1".to_string())]);
        let s = substitute("$${V} ${V} $$$${V} $${NOPE} a$b $", &args, 100);
        assert_eq!(s.text, "${V} 1 $${V} ${NOPE} a$b $");
        assert!(s.undeclared.is_empty(), "an escaped name is not a reference");
        let s = substitute("$$${V}", &args, 100);
        assert_eq!(s.text, "$1");
    }

    #[test]
    fn expansion_is_bounded() {
        let args = BTreeMap::from([("A".to_string(), "x".repeat(1000))]);
        let s = substitute(&"${A}".repeat(10_000), &args, 4096);
        assert!(s.too_long && s.text.len() <= 4096);
        assert!(!substitute("${A}${A}", &args, 2000).too_long);
        assert!(substitute("${A}${A}!", &args, 2000).too_long);
    }
}

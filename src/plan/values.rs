//! The value types every section shares (paths, modes, image references, `${NAME}` substitution), as the
//! planner reads them: "Value types" and "`${NAME}` substitution" in docs/spec.md.

use super::args::substitute;
use super::build::Planner;
use super::paths::{self, AbsPath, Mode, PathError};
use crate::diag::Span;
use crate::rules::codes::*;
use crate::spec::Str;

/// The longest value substitution may produce, and the most it may add over the whole spec.
pub const MAX_EXPANDED: usize = 256 * 1024;
pub const MAX_EXPANDED_TOTAL: usize = 8 * 1024 * 1024;

/// The hints for a NUL byte in an environment variable and in a label.
pub(super) const ENV_NUL: &str = "an environment variable cannot hold NUL";
pub(super) const LABEL_NUL: &str = "labels are read by tools as C strings; remove the NUL byte";

/// How a control character is named in messages.
pub(super) fn control_name(c: char) -> String {
    match c {
        '\0' => "a NUL byte".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        c => format!("the control character {}", c.escape_unicode()),
    }
}

/// At most ten names, then how many more: a hint stays one line whatever the spec's size.
pub(super) fn list_some<'a>(names: impl Iterator<Item = &'a str>, count: usize) -> String {
    let shown: Vec<&str> = names.take(10).collect();
    match count.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

impl Planner {
    /// A string field after `${ARG}` substitution; undeclared args are an error. A value that substitution
    /// makes longer than [`MAX_EXPANDED`], or that passes what is left of [`MAX_EXPANDED_TOTAL`] for the
    /// whole spec, is an error (and left unsubstituted).
    pub(super) fn text(&mut self, s: &Str) -> String {
        let limit = MAX_EXPANDED.min(s.value.len() + self.expansion_left);
        let out = substitute(&s.value, &self.args, limit);
        if out.too_long {
            if self.expansion_left > 0 {
                let (rule, message, hint) = if limit < MAX_EXPANDED {
                    (
                        SK280,
                        format!("build args expand the spec by more than {} KiB in all", MAX_EXPANDED_TOTAL / 1024),
                        "use fewer or shorter `${...}` references",
                    )
                } else {
                    (
                        SK265,
                        format!(
                            "this value is longer than {} KiB once its build args are substituted",
                            MAX_EXPANDED / 1024
                        ),
                        "use shorter build args here",
                    )
                };
                self.error(rule, s.span, message, hint);
            }
            if limit < MAX_EXPANDED {
                self.expansion_left = 0; // reported once
            }
            return s.value.clone();
        }
        self.expansion_left = self.expansion_left.saturating_sub(out.text.len().saturating_sub(s.value.len()));
        for (name, _) in &out.undeclared {
            self.error(
                SK266,
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
    pub(super) fn no_nul(&mut self, span: Span, what: &str, value: &str, hint: &str) -> bool {
        if value.contains('\0') {
            self.error(SK267, span, format!("{what} contains a NUL byte"), hint);
            return false;
        }
        true
    }

    pub(super) fn abs_path(&mut self, s: &Str, what: &str) -> Option<AbsPath> {
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
    pub(super) fn mount_point(&mut self, s: &Str, what: &str) -> Option<AbsPath> {
        let path = self.abs_path(s, what)?;
        let kernel =
            ["/proc", "/sys", "/dev"].iter().find(|k| path.starts_with(&AbsPath::parse(k).expect("constant path")));
        let place = match kernel {
            Some(k) => format!("under `{k}`"),
            None if path.as_str() == "/" => "the root".to_string(),
            None => return Some(path),
        };
        self.error(
            SK268,
            s.span,
            format!("{what} `{path}` is {place}"),
            "choose a directory of its own, e.g. `/src`, `/root/.cache/go-build` or `/run/secrets/netrc`",
        );
        None
    }

    pub(super) fn path_error(&mut self, span: Span, what: &str, text: &str, e: PathError) {
        match e {
            PathError::Relative => self.error(
                SK269,
                span,
                format!("{what} `{text}` is not an absolute path"),
                format!("start it with `/`, e.g. `/{}`", text.trim_start_matches("./")),
            ),
            PathError::Escapes => self.error(SK270, span, format!("{what} `{text}` escapes the root with `..`"), "write the path without `..` components"),
            PathError::Empty => self.error(SK271, span, format!("{what} is empty"), "write a path such as `/out/app`"),
            PathError::TooLong(n) => self.error(
                SK272,
                span,
                format!("{what} `{}` is {n} bytes long; Linux takes at most {}", crate::diag::escape(text, 64), paths::MAX_PATH),
                "shorten the path; BuildKit cannot create or read it",
            ),
            PathError::NameTooLong(n) => self.error(
                SK273,
                span,
                format!("{what} `{}` has a name of {n} bytes; Linux takes at most {} a name", crate::diag::escape(text, 64), paths::MAX_NAME),
                "shorten that component of the path; BuildKit cannot create or read it",
            ),
            PathError::Control(c) => self.error(
                SK274,
                span,
                format!("{what} `{}` contains {}", text.escape_debug(), control_name(c)),
                "file paths cannot hold NUL, newlines or other control characters; check the value and any `${...}` in it",
            ),
        }
    }

    /// An image reference after substitution, checked against the reference grammar.
    pub(super) fn image_ref(&mut self, s: &Str, what: &str) -> Option<String> {
        let before = self.diags.count();
        let text = self.text(s);
        if self.diags.count() > before {
            return None; // an undeclared `${...}`, already reported
        }
        match crate::reference::check(&text) {
            Ok(()) => Some(text),
            Err(_) if text.is_empty() => {
                let message = if s.value.is_empty() {
                    format!("{what} is empty")
                } else {
                    format!("{what} `{}` is empty after substitution", s.value)
                };
                self.error(SK275, s.span, message, "write a reference such as `golang:1.23`; a `${...}` in it must give one (pass a value with --build-arg)");
                None
            }
            Err(why) => {
                let hint = if s.value.contains("${") {
                    "write a reference such as `golang:1.23`; its `${...}` must give one (pass a value with --build-arg)"
                } else {
                    "write a reference such as `golang:1.23` or `ghcr.io/org/image:tag`"
                };
                self.error(
                    SK276,
                    s.span,
                    format!("{what} `{}` is not an image reference: {why}", text.escape_debug()),
                    hint,
                );
                None
            }
        }
    }

    /// Legal but risky modes, as warnings: setuid/setgid on what may be a program, and world-writable
    /// bits, except on a directory with the sticky bit (the `/tmp` pattern: only owners remove files).
    pub(super) fn risky_mode(&mut self, span: Span, path: &AbsPath, mode: Mode, directory: bool) {
        let bits = mode.bits();
        if !directory && bits & 0o6000 != 0 {
            let which = match bits & 0o6000 {
                0o4000 => "setuid",
                0o2000 => "setgid",
                _ => "setuid and setgid",
            };
            let whose = if bits & 0o4000 != 0 { "owner's" } else { "group's" };
            self.warn(
                SK277,
                span,
                format!("mode {mode} of `{path}` is {which}: it runs with its {whose} rights whoever starts it"),
                "a scratch image rarely needs this; drop the leading 4/2/6 (e.g. \"0755\") unless the program is meant to",
            );
        }
        if bits & 0o002 != 0 && !(directory && bits & 0o1000 != 0) {
            self.warn(
                SK278,
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

    pub(super) fn mode(&mut self, s: &Str) -> Option<Mode> {
        let text = self.text(s);
        let m = Mode::parse(&text);
        if m.is_none() {
            self.error(
                SK279,
                s.span,
                format!("mode `{text}` is not an octal number"),
                "write the mode as a quoted octal string of up to four digits 0-7, such as \"0755\"",
            );
        }
        m
    }
}

//! Diagnostics that point into the spec file: `scratch.yaml:LINE:COL`, the line, a caret, a hint.
//!
//! Every stage before BuildKit collects all of its problems into [`Diagnostics`] instead of stopping at
//! the first, so a user fixes a spec in one round trip.

use std::fmt;

/// A location in the spec file: 1-based line and column, and how many characters to underline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub len: usize,
}

impl Span {
    pub fn new(line: usize, column: usize, len: usize) -> Self {
        Span { line, column, len }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// `None` when the problem is not tied to a place in the file (for example an empty file).
    pub span: Option<Span>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), span: span.into(), hint: None }
    }

    pub fn warning(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, message: message.into(), span: span.into(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// All problems found in one spec, with what is needed to render them against its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Sorted by position so the output reads top to bottom like the file.
    pub fn sorted(mut self) -> Self {
        self.items.sort_by_key(|d| (d.span, d.severity));
        self
    }

    /// Renders every diagnostic the way cargo renders manifest errors.
    pub fn render(&self, filename: &str, source: &str) -> String {
        let lines: Vec<&str> = source.lines().collect();
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&render_one(d, filename, &lines));
        }
        let errors = self.errors().count();
        if errors > 0 {
            out.push_str(&format!("{filename}: {errors} error{} found\n", if errors == 1 { "" } else { "s" }));
        }
        out
    }
}

fn render_one(d: &Diagnostic, filename: &str, lines: &[&str]) -> String {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!("{label}: {}\n", d.message);
    match d.span {
        Some(span) => {
            let gutter = span.line.to_string().len();
            let pad = " ".repeat(gutter);
            out.push_str(&format!("{pad}--> {filename}:{}:{}\n", span.line, span.column));
            if let Some(text) = span.line.checked_sub(1).and_then(|i| lines.get(i)) {
                let caret_pad: String = text.chars().take(span.column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                out.push_str(&format!("{pad} |\n{} | {text}\n", span.line));
                // marked-yaml spans a quoted scalar from its opening quote but counts only its content.
                let quoted = matches!(text.chars().nth(span.column.saturating_sub(1)), Some('"' | '\''));
                let len = span.len.max(1) + if quoted { 2 } else { 0 };
                out.push_str(&format!("{pad} | {caret_pad}{}\n", "^".repeat(len)));
            }
            if let Some(hint) = &d.hint {
                out.push_str(&format!("{pad} = hint: {hint}\n"));
            }
        }
        None => {
            out.push_str(&format!(" --> {filename}\n"));
            if let Some(hint) = &d.hint {
                out.push_str(&format!("  = hint: {hint}\n"));
            }
        }
    }
    out
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(f, "{}:{}: {}", s.line, s.column, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().map(|c| (strsim::damerau_levenshtein(word, c), c)).filter(|(d, c)| *d <= 2.max(c.len() / 3)).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_caret_and_hint() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error(Span::new(2, 3, 6), "unknown key `bulder`").hint("did you mean `builder`?"));
        let text = ds.render("scratch.yaml", "version: 1\n  bulder: x\n");
        assert!(text.contains("--> scratch.yaml:2:3"), "{text}");
        assert!(text.contains("2 |   bulder: x\n"), "{text}");
        assert!(text.contains("  |   ^^^^^^\n"), "{text}");
        assert!(text.contains("= hint: did you mean `builder`?"), "{text}");
        assert!(text.ends_with("scratch.yaml: 1 error found\n"), "{text}");
    }

    #[test]
    fn suggests_close_words_only() {
        let keys = ["builder", "copy", "rootfs", "image"];
        assert_eq!(did_you_mean("bulder", keys), Some("builder"));
        assert_eq!(did_you_mean("imag", keys), Some("image"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
    }
}

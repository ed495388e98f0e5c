//! Diagnostics that point into the spec file: `scratch.yaml:LINE:COL`, the line, a caret, a hint.
//!
//! Every stage before BuildKit collects all of its problems into [`Diagnostics`] instead of stopping at
//! the first, so a user fixes a spec in one round trip.

use std::fmt;

use crate::rules::Rule;
pub use crate::rules::Severity;

/// A location in the spec file: 1-based line and column, and how many characters to underline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// What kind of problem it is (its code, in [`crate::rules`]): what code and tests decide by. Written
    /// as its code where diagnostics cross a process (the checks' exec).
    #[serde(with = "crate::rules::by_code")]
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// `None` when the problem is not tied to a place in the file (for example an empty file).
    pub span: Option<Span>,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem of the kind `rule`, at its severity.
    pub fn new(rule: &'static Rule, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic { rule, severity: rule.severity, message: message.into(), span: span.into(), hint: None }
    }

    /// [`Diagnostic::new`] for an error rule: the call site reads as what it reports.
    pub fn error(rule: &'static Rule, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        debug_assert_eq!(rule.severity, Severity::Error, "{} is not an error", rule.code);
        Self::new(rule, span, message)
    }

    pub fn warning(rule: &'static Rule, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        debug_assert_eq!(rule.severity, Severity::Warning, "{} is not a warning", rule.code);
        Self::new(rule, span, message)
    }

    pub fn note(rule: &'static Rule, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        debug_assert_eq!(rule.severity, Severity::Note, "{} is not a note", rule.code);
        Self::new(rule, span, message)
    }

    /// Whether it is of the kind `rule`.
    pub fn is(&self, rule: &Rule) -> bool {
        self.rule.code == rule.code
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// All problems found in one spec. [`Diagnostics::render`] takes the spec's text and name to show them.
///
/// The first [`MAX_KEPT`] are kept; later ones are only counted, so a spec with a problem on every one of
/// its 300,000 entries costs no more memory than one with a thousand.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    /// Errors and warnings found after [`MAX_KEPT`] were kept.
    pub omitted_errors: usize,
    pub omitted_warnings: usize,
}

/// How many diagnostics are kept; the rest are counted.
pub const MAX_KEPT: usize = 1000;

impl Diagnostics {
    pub fn one(d: Diagnostic) -> Self {
        Diagnostics { items: vec![d], ..Diagnostics::default() }
    }

    pub fn push(&mut self, d: Diagnostic) {
        if self.items.len() < MAX_KEPT {
            self.items.push(d);
        } else if d.severity == Severity::Error {
            self.omitted_errors += 1;
        } else {
            self.omitted_warnings += 1;
        }
    }

    /// How many problems were found, kept or not.
    pub fn count(&self) -> usize {
        self.items.len() + self.omitted_errors + self.omitted_warnings
    }

    pub fn has_errors(&self) -> bool {
        self.omitted_errors > 0 || self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Warning)
    }

    pub fn notes(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Note)
    }

    /// The kept diagnostics of the kind `rule`.
    pub fn of<'a>(&'a self, rule: &'a Rule) -> impl Iterator<Item = &'a Diagnostic> + 'a {
        self.items.iter().filter(move |d| d.is(rule))
    }

    /// Whether a kept diagnostic is of the kind `rule`.
    pub fn has(&self, rule: &Rule) -> bool {
        self.of(rule).next().is_some()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
        self.omitted_errors += other.omitted_errors;
        self.omitted_warnings += other.omitted_warnings;
    }

    /// Sorted by position so the output reads top to bottom like the file.
    pub fn sorted(mut self) -> Self {
        self.items.sort_by_key(|d| (d.span, d.severity));
        self
    }

    /// Renders the diagnostics the way cargo renders manifest errors: the first [`MAX_SHOWN`] in full, then
    /// how many more there are. The output is bounded whatever the input: echoed lines are cut to a window
    /// around the caret, messages to [`MAX_MESSAGE`] characters, and control characters are shown escaped.
    pub fn render(&self, filename: &str, source: &str) -> String {
        let mut out = String::new();
        let mut wanted: Vec<usize> = self.items.iter().take(MAX_SHOWN).filter_map(|d| d.span.map(|s| s.line)).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let lines = lines_at(source, &wanted);
        for d in self.items.iter().take(MAX_SHOWN) {
            let line = d.span.and_then(|s| lines.get(&s.line).copied());
            out.push_str(&render_one(d, filename, line));
        }
        if self.count() > MAX_SHOWN {
            let rest = &self.items[MAX_SHOWN.min(self.items.len())..];
            let kept_errors = rest.iter().filter(|d| d.severity == Severity::Error).count();
            let errors = kept_errors + self.omitted_errors;
            let warnings = rest.len() - kept_errors + self.omitted_warnings;
            let mut parts = Vec::new();
            if errors > 0 {
                parts.push(format!("{errors} more error{}", plural(errors)));
            }
            if warnings > 0 {
                parts.push(format!("{warnings} more warning{}", plural(warnings)));
            }
            out.push_str(&format!("… and {} not shown\n", parts.join(" and ")));
        }
        // The last line counts both kinds, kept or only counted.
        let errors = self.errors().count() + self.omitted_errors;
        let warnings = self.warnings().count() + self.omitted_warnings;
        let counts: Vec<String> = [(errors, "error"), (warnings, "warning"), (self.notes().count(), "note")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}{}", plural(n)))
            .collect();
        if !counts.is_empty() {
            // "1 error and 2 warnings", "1 error, 2 warnings and 1 note".
            let (last, first) = counts.split_last().expect("not empty");
            let listed = if first.is_empty() { last.clone() } else { format!("{} and {last}", first.join(", ")) };
            out.push_str(&format!("{}: {listed} found\n", escape(filename, MAX_MESSAGE)));
        }
        out
    }
}

/// How many diagnostics are shown in full; the rest are counted.
pub const MAX_SHOWN: usize = 50;
/// How many characters of a source line are echoed around the caret.
pub const LINE_WINDOW: usize = 120;
/// Messages and hints longer than this (they can quote a user's value) are cut.
pub const MAX_MESSAGE: usize = 400;

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The text of the wanted (sorted, 1-based) lines, found in one pass over the source.
fn lines_at<'a>(source: &'a str, wanted: &[usize]) -> std::collections::HashMap<usize, &'a str> {
    let mut found = std::collections::HashMap::new();
    let mut next = wanted.iter().peekable();
    for (i, line) in source.lines().enumerate() {
        let Some(&&want) = next.peek() else { break };
        if i + 1 == want {
            found.insert(want, line);
            next.next();
        }
    }
    found
}

/// Characters a terminal would act on rather than print: C0/C1 controls (ANSI escapes start with
/// U+001B) and the bidirectional overrides that reorder what a reader sees.
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// How a character of an echoed line is shown, and how many columns that takes.
fn shown(c: char) -> (String, usize) {
    if is_hidden(c) {
        let e = c.escape_unicode().to_string();
        let n = e.len();
        (e, n)
    } else {
        (c.to_string(), 1)
    }
}

/// `text` with hidden characters (newlines and tabs too: a message is one line) escaped and cut to `max`
/// characters.
pub fn escape(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if is_hidden(c) || c == '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The spec text with hidden characters escaped and its lines kept, for BuildKit to echo (warnings).
pub fn escape_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        if is_hidden(c) && !keep {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn render_one(d: &Diagnostic, filename: &str, line: Option<&str>) -> String {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let filename = escape(filename, MAX_MESSAGE);
    let mut out = format!("{label}[{}]: {}\n", d.rule.code, escape(&d.message, MAX_MESSAGE));
    let hint = d.hint.as_deref().map(|h| escape(h, MAX_MESSAGE));
    match d.span {
        Some(span) => {
            let gutter = span.line.to_string().len();
            let pad = " ".repeat(gutter);
            out.push_str(&format!("{pad}--> {filename}:{}:{}\n", span.line, span.column));
            if let Some(text) = line {
                let (echo, caret_pad, carets) = echo_line(text, span);
                out.push_str(&format!("{pad} |\n{} | {echo}\n", span.line));
                out.push_str(&format!("{pad} | {caret_pad}{}\n", "^".repeat(carets.max(1))));
            }
            if let Some(hint) = &hint {
                out.push_str(&format!("{pad} = hint: {hint}\n"));
            }
        }
        None => {
            out.push_str(&format!(" --> {filename}\n"));
            if let Some(hint) = &hint {
                out.push_str(&format!("  = hint: {hint}\n"));
            }
        }
    }
    out
}

/// The part of `text` to echo (at most [`LINE_WINDOW`] characters around the span, `…` where cut, hidden
/// characters escaped), the padding that puts the caret under the span, and the caret's length.
fn echo_line(text: &str, span: Span) -> (String, String, usize) {
    let first = span.column.saturating_sub(1);
    // marked-yaml spans a quoted scalar from its opening quote but counts only its content.
    let quoted = matches!(text.chars().nth(first), Some('"' | '\''));
    let len = span.len.max(1) + if quoted { 2 } else { 0 };
    let total = text.chars().count();
    let (start, end) = if total <= LINE_WINDOW {
        (0, total)
    } else {
        let start = first.saturating_sub(LINE_WINDOW / 3).min(total - LINE_WINDOW);
        (start, start + LINE_WINDOW)
    };
    let mut echo = String::new();
    let mut caret_pad = String::new();
    let mut carets = 0;
    if start > 0 {
        echo.push('…');
        caret_pad.push(' ');
    }
    for (i, c) in text.chars().enumerate().skip(start).take(end - start) {
        let (s, width) = shown(c);
        echo.push_str(&s);
        if i < first {
            if c == '\t' {
                caret_pad.push('\t');
            } else {
                caret_pad.extend(std::iter::repeat_n(' ', width));
            }
        } else if i < first + len {
            carets += width;
        }
    }
    if end < total {
        echo.push('…');
    }
    if first >= end {
        // The span starts past the window (at the end of the line): point just after it.
        caret_pad.extend(std::iter::repeat_n(' ', first.saturating_sub(end.max(start)) + usize::from(end < total)));
    }
    (echo, caret_pad, carets)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(f, "{}:{}: {}", s.line, s.column, escape(&self.message, MAX_MESSAGE)),
            None => write!(f, "{}", escape(&self.message, MAX_MESSAGE)),
        }
    }
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::codes::{SK113, SK228, SK331};

    #[test]
    fn a_note_is_rendered_with_its_code_and_counted_apart() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error(SK113, Span::new(1, 1, 1), "e"));
        ds.push(Diagnostic::warning(SK228, None, "w"));
        ds.push(Diagnostic::note(SK331, None, "n"));
        let text = ds.render("f", "a: b\n");
        assert!(text.contains("note[SK331]: n\n") && text.contains("warning[SK228]: w\n"), "{text}");
        assert!(text.ends_with("f: 1 error, 1 warning and 1 note found\n"), "{text}");
        assert!(ds.has(SK331) && !ds.has(crate::rules::codes::SK215) && ds.warnings().count() == 1, "{ds:?}");
    }

    #[test]
    fn renders_location_caret_and_hint() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error(SK113, Span::new(2, 3, 6), "unknown key `bulder`").hint("did you mean `builder`?"));
        let text = ds.render("scratch.yaml", "version: 1\n  bulder: x\n");
        assert!(text.contains("--> scratch.yaml:2:3"), "{text}");
        assert!(text.contains("2 |   bulder: x\n"), "{text}");
        assert!(text.contains("  |   ^^^^^^\n"), "{text}");
        assert!(text.contains("= hint: did you mean `builder`?"), "{text}");
        assert!(text.ends_with("scratch.yaml: 1 error found\n"), "{text}");
    }

    #[test]
    fn the_last_line_counts_errors_and_warnings() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::warning(SK228, None, "w").hint("h"));
        assert!(ds.render("scratch.yaml", "").ends_with("scratch.yaml: 1 warning found\n"));
        ds.push(Diagnostic::error(SK113, None, "e").hint("h"));
        ds.push(Diagnostic::warning(SK228, None, "w2").hint("h"));
        assert!(ds.render("scratch.yaml", "").ends_with("scratch.yaml: 1 error and 2 warnings found\n"));
    }

    #[test]
    fn control_characters_are_shown_escaped_with_the_caret_in_place() {
        let mut ds = Diagnostics::default();
        ds.push(Diagnostic::error(SK113, Span::new(1, 3, 3), "unknown key `\u{1b}[31mx`").hint("a\nb"));
        let text = ds.render("scratch.yaml", "\u{1b}[bad: 1\n");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("1 | \\u{1b}[bad: 1\n"), "{text}");
        // `\u{1b}[` takes 7 columns, so `bad` starts at the 8th.
        assert!(text.contains("  |        ^^^\n"), "{text}");
        assert!(text.contains("error[SK113]: unknown key `\\u{1b}[31mx`"), "{text}");
        assert!(text.contains("= hint: a\\u{a}b"), "{text}");
        let bidi = Diagnostics::one(Diagnostic::error(SK113, Span::new(1, 1, 1), "x")).render("f", "a\u{202e}b: c\n");
        assert!(bidi.contains("1 | a\\u{202e}b: c"), "{bidi}");
    }

    #[test]
    fn long_lines_are_cut_around_the_caret_and_many_problems_are_counted() {
        let line = format!("copy: [{}]", vec!["a"; 40_000].join(","));
        let mut ds = Diagnostics::default();
        for i in 0..5000 {
            ds.push(Diagnostic::error(SK113, Span::new(1, 8 + 2 * i, 1), "`/a` is copied twice").hint("h"));
        }
        assert_eq!((ds.items.len(), ds.omitted_errors, ds.count()), (MAX_KEPT, 5000 - MAX_KEPT, 5000));
        let text = ds.render("scratch.yaml", &line);
        assert!(text.len() < 50 * 400, "{} bytes", text.len());
        assert!(text.contains("… and 4950 more errors not shown\n"), "{text}");
        assert!(text.ends_with("scratch.yaml: 5000 errors found\n"), "{text}");
        // Every echoed line is at most the window plus the two ellipses, and its caret is under an `a`.
        for pair in text.lines().collect::<Vec<_>>().windows(2) {
            if let (Some(echo), Some(caret)) = (pair[0].strip_prefix("1 | "), pair[1].strip_prefix("  | ")) {
                assert!(echo.chars().count() <= LINE_WINDOW + 2, "{echo}");
                let at = caret.find('^').unwrap();
                assert_eq!(echo.chars().nth(at), Some('a'), "{echo}\n{caret}");
            }
        }
    }

    #[test]
    fn a_caret_past_the_end_of_the_line_stays_on_it() {
        let ds = Diagnostics::one(Diagnostic::error(SK113, Span::new(1, 5, 1), "x").hint("h"));
        let text = ds.render("f", "ab\n");
        assert!(text.contains("1 | ab\n  |     ^\n"), "{text}");
    }

    #[test]
    fn suggests_close_words_only() {
        let keys = ["builder", "copy", "rootfs", "image"];
        assert_eq!(did_you_mean("bulder", keys), Some("builder"));
        assert_eq!(did_you_mean("imag", keys), Some("image"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
    }
}

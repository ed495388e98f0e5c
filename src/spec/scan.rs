//! A pass over the raw text before the YAML parser sees it: how deeply it nests, and whether it holds a
//! second document.
//!
//! The parser and the tree it builds recurse once per level of nesting, so 20,000 levels of `- - - …`
//! overflow the stack and abort the process (the frontend with it, before it can return an error). This
//! scan is linear, needs no stack, and over-estimates: every indentation step, every compact `- `/`? `
//! indicator and every flow bracket counts as a level, outside comments, quoted scalars and block scalars.
//! A real spec nests about six levels deep; [`MAX_DEPTH`] leaves plenty of room.

use crate::diag::Span;

/// The deepest nesting a spec may have.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
    /// Nesting passed [`MAX_DEPTH`] at this place.
    TooDeep(Span),
    /// A `---` (or content after `...`) starts a second document here.
    SecondDocument(Span),
}

pub fn scan(text: &str) -> Result<(), Problem> {
    count(text).map(|_| ())
}

/// The most keys and items a spec may have. The YAML tree and the spec cost a few hundred bytes for each
/// however short it is (`copy: [a,a,a,…]`), so the number, not the size, bounds the memory of a check: at
/// this limit it stays under 100 MB. A real spec has a few hundred.
pub const MAX_VALUES: usize = 100_000;

/// [`scan`], and how many keys and items the text has, over-estimated: every `key:` separator, block
/// `- `/`? ` indicator and flow `,`, outside comments, quoted scalars and block scalars.
pub fn count(text: &str) -> Result<usize, Problem> {
    let mut scanner = Scanner::default();
    for (n, line) in text.lines().enumerate() {
        scanner.line(n + 1, line)?;
    }
    Ok(scanner.values)
}

/// What carries over from one line to the next.
#[derive(Default)]
struct Scanner {
    /// The indentations of the block levels open at the current line.
    indents: Vec<usize>,
    /// Open flow brackets (`[`, `{`); a flow collection may span lines.
    flow: usize,
    /// Inside a quoted scalar (which may span lines): its quote character.
    quote: Option<char>,
    /// Inside a block scalar (`|`, `>`): the indentation of the line that started it.
    block_scalar: Option<usize>,
    seen_content: bool,
    /// A `...` ended the document: any more content is a second one.
    ended: bool,
    /// Keys and items so far (see [`count`]).
    values: usize,
}

/// Where a line's content stands.
struct Line<'a> {
    number: usize,
    text: &'a str,
    indent: usize,
}

impl Line<'_> {
    fn content(&self) -> &str {
        &self.text[self.indent..]
    }

    /// A depth error at byte `at` of the content, if the depth is over the limit.
    fn too_deep(&self, depth: usize, at: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(Problem::TooDeep(Span::new(
                self.number,
                self.indent + self.content()[..at].chars().count() + 1,
                1,
            )));
        }
        Ok(())
    }
}

impl Scanner {
    fn line(&mut self, number: usize, text: &str) -> Result<(), Problem> {
        let indent = text.len() - text.trim_start_matches(' ').len();
        let line = Line { number, text, indent };
        let content = line.content();
        if let Some(parent) = self.block_scalar {
            if content.trim().is_empty() || indent > parent {
                return Ok(());
            }
            self.block_scalar = None;
        }
        let outside = self.quote.is_none() && self.flow == 0;
        if outside && (content.trim().is_empty() || content.starts_with('#')) {
            return Ok(());
        }
        if outside && indent == 0 && self.document_marker(&line)? {
            return Ok(());
        }
        self.seen_content = true;
        let depth = if outside { self.block_depth(indent) } else { 0 };
        self.tokens(&line, depth)
    }

    /// Directives and `---`/`...` lines at the left margin: `Ok(true)` when the line holds nothing else.
    fn document_marker(&mut self, line: &Line) -> Result<bool, Problem> {
        let content = line.content();
        let marker =
            |m: &str| content.strip_prefix(m).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        if content.starts_with('%') && !self.seen_content {
            return Ok(true); // a directive (%YAML) before the document
        }
        if marker("---") {
            if self.seen_content || self.ended {
                return Err(Problem::SecondDocument(Span::new(line.number, 1, 3)));
            }
            return Ok(true); // `--- ` may start the first document; its content is on the next lines
        }
        if marker("...") {
            self.ended = true;
            return Ok(true);
        }
        if self.ended {
            return Err(Problem::SecondDocument(Span::new(line.number, 1, 1)));
        }
        Ok(false)
    }

    /// The block levels open at this indentation: deeper ones are closed, a new one is opened.
    fn block_depth(&mut self, indent: usize) -> usize {
        while self.indents.last().is_some_and(|&top| top > indent) {
            self.indents.pop();
        }
        if self.indents.last() != Some(&indent) {
            self.indents.push(indent);
        }
        self.indents.len()
    }

    /// The line's characters: compact `- `/`? ` indicators and flow brackets open levels; quotes,
    /// comments and block scalars hide what they hold.
    fn tokens(&mut self, line: &Line, mut depth: usize) -> Result<(), Problem> {
        let content = line.content();
        let mut at_value = true;
        let mut prev: Option<char> = None;
        let mut chars = content.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if self.quote.is_some() {
                if self.quoted(c, &mut chars) {
                    at_value = false;
                }
                prev = Some(c);
                continue;
            }
            let next = chars.peek().map(|&(_, c)| c);
            let separated = next.is_none_or(|c| c == ' ' || c == '\t');
            match c {
                ' ' | '\t' => {}
                '#' if prev.is_none_or(|p| p == ' ' || p == '\t') => break,
                '-' | '?' if at_value && self.flow == 0 && separated => {
                    self.values += 1;
                    depth += 1;
                    line.too_deep(depth + self.flow, i)?;
                }
                '"' | '\'' if at_value => self.quote = Some(c),
                // An anchor or tag (`&a`, `!t`) comes before the value it names: skip its name.
                '&' | '!' if at_value => {
                    while chars.peek().is_some_and(|&(_, c)| c != ' ' && c != '\t') {
                        chars.next();
                    }
                }
                '[' | '{' if at_value || self.flow > 0 => {
                    self.flow += 1;
                    at_value = true;
                    line.too_deep(depth + self.flow, i)?;
                }
                ']' | '}' if self.flow > 0 => {
                    self.flow -= 1;
                    at_value = false;
                }
                ',' | ':' if self.flow > 0 || (c == ':' && separated) => {
                    self.values += 1;
                    at_value = true;
                }
                '|' | '>' if at_value && self.flow == 0 => {
                    self.block_scalar = Some(line.indent);
                    break;
                }
                _ => at_value = false,
            }
            prev = Some(c);
        }
        line.too_deep(depth + self.flow, content.len())
    }

    /// One character inside a quoted scalar; `true` when it closes the quote.
    fn quoted(&mut self, c: char, chars: &mut std::iter::Peekable<std::str::CharIndices>) -> bool {
        match (self.quote, c) {
            (Some('"'), '\\') => {
                chars.next(); // the escaped character
                false
            }
            (Some('"'), '"') => {
                self.quote = None;
                true
            }
            (Some('\''), '\'') if chars.peek().map(|&(_, c)| c) == Some('\'') => {
                chars.next(); // `''` is an apostrophe
                false
            }
            (Some('\''), '\'') => {
                self.quote = None;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<Span> {
        match scan(text) {
            Err(Problem::TooDeep(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn real_specs_pass() {
        let spec = "# syntax=x\nbuilder:\n  image: golang:1.23\n  run: |\n    if [ -f x ]; then\n      { echo a; } && echo \"b\n  c\"\n    fi\n\
                    copy:\n  - {from: /out/app, to: '/usr/don''t/[x'}\nrootfs:\n  users:\n    - name: app\n      uid: 10001\nimage: {cmd: [\"[\", '{']}\n";
        assert_eq!(scan(spec), Ok(()));
        for fixture in ["full", "users", "build-args"] {
            let path = format!("{}/tests/fixtures/ok/{fixture}.yaml", env!("CARGO_MANIFEST_DIR"));
            assert_eq!(scan(&std::fs::read_to_string(path).unwrap()), Ok(()), "{fixture}");
        }
    }

    #[test]
    fn deep_nesting_is_found_in_every_form() {
        let dashes = format!("x-deep: {}a\n", "- ".repeat(20_000));
        assert_eq!(depth_error(&dashes), Some(Span::new(1, 8 + 2 * MAX_DEPTH - 2 + 1, 1)));
        let indented: String = (0..20_000).map(|i| format!("{}-\n", "  ".repeat(i))).collect();
        assert_eq!(depth_error(&indented).map(|s| s.line), Some(MAX_DEPTH));
        let maps: String = std::iter::once("x-deep:\n".to_string())
            .chain((1..20_000).map(|i| format!("{}a:\n", " ".repeat(i))))
            .collect();
        assert!(depth_error(&maps).is_some());
        let flow = format!("x: {}{}\n", "[".repeat(20_000), "]".repeat(20_000));
        assert_eq!(depth_error(&flow), Some(Span::new(1, 3 + MAX_DEPTH, 1)));
        let anchored = format!("x: &a !t {}\n", "[".repeat(100));
        assert!(depth_error(&anchored).is_some());
        let mixed = format!("x:\n{}", (0..40).map(|i| format!("{}- [{{a: [\n", "  ".repeat(i))).collect::<String>());
        assert!(depth_error(&mixed).is_some());
        assert_eq!(depth_error(&format!("x: {}\n", "- ".repeat(MAX_DEPTH - 2))), None);
    }

    #[test]
    fn quotes_comments_and_block_scalars_hide_nothing_and_fake_nothing() {
        let fake = format!("run: |\n  {}\nx: \"{}\"\n# {}\n", "[".repeat(100), "[".repeat(100), "- ".repeat(100));
        assert_eq!(scan(&fake), Ok(()));
        // An apostrophe inside a plain scalar does not start a quoted scalar that would hide the rest.
        let hidden = format!("run: echo don't\nx: {}\n", "[".repeat(100));
        assert!(depth_error(&hidden).is_some());
    }

    #[test]
    fn keys_and_items_are_counted_outside_quotes_comments_and_block_scalars() {
        assert_eq!(count("copy: [a, b, c]\n"), Ok(3));
        assert_eq!(count("copy:\n  - {from: a, to: b}\nimage: golang:1.23\n"), Ok(6));
        assert_eq!(count("run: |\n  - a, b: c\nx: \"a, b: c\" # - d, e: f\n"), Ok(2));
    }

    #[test]
    fn a_second_document_is_found() {
        assert_eq!(scan("---\ncopy: [/a]\n"), Ok(()));
        assert_eq!(scan("%YAML 1.2\n---\ncopy: [/a]\n...\n"), Ok(()));
        assert_eq!(scan("copy: [/a]\n---\ncopy: [/b]\n"), Err(Problem::SecondDocument(Span::new(2, 1, 3))));
        assert_eq!(scan("copy: [/a]\n...\ncopy: [/b]\n"), Err(Problem::SecondDocument(Span::new(3, 1, 1))));
        assert_eq!(scan("run: |\n  ---\ncopy: [/a]\n"), Ok(()));
        assert_eq!(scan("x: \"a\n---\"\n"), Ok(()));
    }
}

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
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    // Inside a block scalar (`|`, `>`): the indentation of the line that started it.
    let mut block_scalar: Option<usize> = None;
    let mut seen_content = false;
    let mut ended = false;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = &line[indent..];
        if let Some(parent) = block_scalar {
            if content.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let outside = quote.is_none() && flow == 0;
        if outside && (content.is_empty() || content.starts_with('#') || content.trim().is_empty()) {
            continue;
        }
        if outside && indent == 0 {
            let marker = |m: &str| content.strip_prefix(m).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
            if content.starts_with('%') && !seen_content {
                continue; // a directive (%YAML) before the document
            }
            if marker("---") {
                if seen_content || ended {
                    return Err(Problem::SecondDocument(Span::new(line_no, 1, 3)));
                }
                continue; // `--- ` may start the first document; its content is on the next lines
            }
            if marker("...") {
                ended = true;
                continue;
            }
            if ended {
                return Err(Problem::SecondDocument(Span::new(line_no, 1, 1)));
            }
        }
        seen_content = true;
        // Levels opened before this line's content: indentation, then compact `- ` / `? ` indicators.
        let mut depth = 0;
        let mut at_value = true;
        let mut chars = content.char_indices().peekable();
        if outside {
            while indents.last().is_some_and(|&top| top > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            depth = indents.len();
        }
        let too_deep = |depth: usize, flow: usize, at: usize| {
            (depth + flow > MAX_DEPTH).then(|| Problem::TooDeep(Span::new(line_no, indent + line[indent..][..at].chars().count() + 1, 1)))
        };
        let mut prev: Option<char> = None;
        while let Some((i, c)) = chars.next() {
            match quote {
                Some('"') => {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        quote = None;
                        at_value = false;
                    }
                    prev = Some(c);
                    continue;
                }
                Some(_) => {
                    if c == '\'' {
                        if chars.peek().map(|&(_, c)| c) == Some('\'') {
                            chars.next();
                        } else {
                            quote = None;
                            at_value = false;
                        }
                    }
                    prev = Some(c);
                    continue;
                }
                None => {}
            }
            let next = chars.peek().map(|&(_, c)| c);
            let separated = next.is_none_or(|c| c == ' ' || c == '\t');
            match c {
                ' ' | '\t' => {}
                '#' if prev.is_none_or(|p| p == ' ' || p == '\t') => break,
                '-' | '?' if at_value && flow == 0 && separated => {
                    depth += 1;
                    if let Some(p) = too_deep(depth, flow, i) {
                        return Err(p);
                    }
                }
                '"' | '\'' if at_value => quote = Some(c),
                // An anchor or tag (`&a`, `!t`) comes before the value it names: skip its name.
                '&' | '!' if at_value => {
                    while chars.peek().is_some_and(|&(_, c)| c != ' ' && c != '\t') {
                        chars.next();
                    }
                }
                '[' | '{' if at_value || flow > 0 => {
                    flow += 1;
                    at_value = true;
                    if let Some(p) = too_deep(depth, flow, i) {
                        return Err(p);
                    }
                }
                ']' | '}' if flow > 0 => {
                    flow -= 1;
                    at_value = false;
                }
                ',' if flow > 0 => at_value = true,
                ':' if separated || flow > 0 => at_value = true,
                '|' | '>' if at_value && flow == 0 => {
                    block_scalar = Some(indent);
                    break;
                }
                _ => at_value = false,
            }
            prev = Some(c);
        }
        if let Some(p) = too_deep(depth, flow, content.len()) {
            return Err(p);
        }
    }
    Ok(())
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
        let maps: String = std::iter::once("x-deep:\n".to_string()).chain((1..20_000).map(|i| format!("{}a:\n", " ".repeat(i)))).collect();
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
    fn a_second_document_is_found() {
        assert_eq!(scan("---\ncopy: [/a]\n"), Ok(()));
        assert_eq!(scan("%YAML 1.2\n---\ncopy: [/a]\n...\n"), Ok(()));
        assert_eq!(scan("copy: [/a]\n---\ncopy: [/b]\n"), Err(Problem::SecondDocument(Span::new(2, 1, 3))));
        assert_eq!(scan("copy: [/a]\n...\ncopy: [/b]\n"), Err(Problem::SecondDocument(Span::new(3, 1, 1))));
        assert_eq!(scan("run: |\n  ---\ncopy: [/a]\n"), Ok(()));
        assert_eq!(scan("x: \"a\n---\"\n"), Ok(()));
    }
}

//! Build-arg substitution: `${NAME}` for every arg declared under `args:`.

use std::collections::BTreeMap;

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
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
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

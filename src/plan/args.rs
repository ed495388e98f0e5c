//! Build-arg substitution: `${NAME}` for every arg declared under `args:`.

use std::collections::BTreeMap;

/// What `${...}` references in one string resolved to.
pub struct Substituted {
    pub text: String,
    /// Names inside `${...}` that no arg declares, with their byte offset in the original string.
    pub undeclared: Vec<(String, usize)>,
}

/// Replaces `${NAME}` with the arg's value. Undeclared names are left as written and reported, so fields
/// can refuse them. (`run` commands are never substituted: the args are their environment.)
pub fn substitute(text: &str, args: &BTreeMap<String, String>) -> Substituted {
    let mut out = String::with_capacity(text.len());
    let mut undeclared = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) if is_name(&after[..end]) => {
                let name = &after[..end];
                match args.get(name) {
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
    Substituted { text: out, undeclared }
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
        let s = substitute("v${VERSION}-${ARCH} ${x:-y} $HOME", &args);
        assert_eq!(s.text, "v1.2-${ARCH} ${x:-y} $HOME");
        assert_eq!(s.undeclared, vec![("ARCH".to_string(), 12)]);
    }
}

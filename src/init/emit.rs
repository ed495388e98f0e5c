//! Writing values into the two languages a generated spec holds: YAML scalars and shell words. Every value
//! from a project goes through one of these; none is spliced.

/// `text` as a YAML scalar: plain when it reads back as the same string in any context (block or flow),
/// else a double-quoted scalar written by a JSON serializer (JSON strings are YAML double-quoted scalars).
pub fn yaml_scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
    }
}

/// Plain is kept for what users would write themselves (`/out/app`, `golang:1.23`, `go build -o /out/x .`):
/// printable ASCII, no flow indicators, no indicator first, no `: ` or ` #`, and nothing YAML 1.1 would
/// read as a boolean, null or number.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else { return false };
    let specials = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"];
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !text.contains([',', '[', ']', '{', '}', '"', '\'', '\\', '#'])
        && !"-?:!&*|>%@`".contains(first)
        && !first.is_ascii_digit()
        && !text.starts_with(' ')
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !specials.contains(&text.to_ascii_lowercase().as_str())
        && !text.starts_with(['+', '.'])
}

/// `text` as one shell word: as is when it is plain, else in single quotes.
pub fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// A Docker image name made from a program's name: lower-case letters and digits, runs of anything else
/// become one `-` (the distribution grammar's path component), at most 128 characters; `app` if nothing is
/// left.
pub fn image_name(program: &str) -> String {
    let lower = program.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut name = words.join("-");
    name.truncate(128);
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        "app".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_stay_plain_and_the_rest_is_quoted() {
        for plain in ["/out/app", "golang:1.23", "go build -trimpath -o /out/x ./cmd/x", "scratchkit:dev"] {
            assert_eq!(yaml_scalar(plain), plain);
        }
        assert_eq!(yaml_scalar("a\n  network: host"), r#""a\n  network: host""#);
        assert_eq!(yaml_scalar("x # y"), r#""x # y""#);
        assert_eq!(yaml_scalar("a: b"), r#""a: b""#);
        assert_eq!(yaml_scalar("[x]"), r#""[x]""#);
        assert_eq!(yaml_scalar("a,b"), r#""a,b""#);
        assert_eq!(yaml_scalar("true"), r#""true""#);
        assert_eq!(yaml_scalar("No"), r#""No""#);
        assert_eq!(yaml_scalar("1.5"), r#""1.5""#);
        assert_eq!(yaml_scalar("-x"), r#""-x""#);
        assert_eq!(yaml_scalar("'q'"), r#""'q'""#);
        assert_eq!(yaml_scalar(""), r#""""#);
        assert_eq!(yaml_scalar("tab\there"), r#""tab\there""#);
    }

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("src/app"), "src/app");
        assert_eq!(shell_word("my app"), "'my app'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("~x"), "'~x'");
        assert_eq!(shell_word("0;id>&2"), "'0;id>&2'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn image_names_are_lower_case_and_valid() {
        assert_eq!(image_name("MyTool"), "mytool");
        assert_eq!(image_name("my_tool.v2"), "my-tool-v2");
        assert_eq!(image_name("--x--"), "x");
        assert_eq!(image_name("~"), "app");
        assert_eq!(image_name(&"A".repeat(300)).len(), 128);
        for name in ["MyTool", "a__b", "x.y-z", "Ünïcode"] {
            assert!(crate::reference::check(&image_name(name)).is_ok(), "{name}");
        }
    }
}

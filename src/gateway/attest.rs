//! The `attest:sbom` option (`--sbom`), as buildx writes it: comma-separated `key=value` fields in CSV.

use std::collections::BTreeMap;

use super::request::BadOption;

/// BuildKit's default when `--sbom=true` names no generator.
pub const DEFAULT_GENERATOR: &str = "docker/buildkit-syft-scanner:stable-1";

/// An SBOM asked for: the generator image, as given, and the other fields, which the generator gets as
/// `BUILDKIT_SCAN_<key>=<value>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sbom {
    pub generator: String,
    pub params: BTreeMap<String, String>,
}

/// `None` when the option turns the SBOM off (`disabled=true`, what buildx writes for `--sbom=false`).
pub fn parse_sbom(value: &str) -> Result<Option<Sbom>, BadOption> {
    let mut generator = DEFAULT_GENERATOR.to_string();
    let mut params = BTreeMap::new();
    for field in csv_fields(value) {
        let (key, value) = field.split_once('=').unwrap_or((field.as_str(), ""));
        match key {
            "generator" => generator = value.to_string(),
            "disabled" => match parse_bool(value) {
                Some(true) => return Ok(None),
                Some(false) => {}
                None => return Err(BadOption::SbomDisabled(value.to_string())),
            },
            "type" => {}
            _ => {
                params.insert(key.to_string(), value.to_string());
            }
        }
    }
    if generator.trim().is_empty() {
        return Err(BadOption::SbomEmptyGenerator);
    }
    Ok(Some(Sbom { generator, params }))
}

/// Go's `strconv.ParseBool`, which BuildKit uses for boolean options and args.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Comma-separated fields, where a field in double quotes may hold commas (`""` is a quote), as the CSV
/// buildx writes `--sbom` with.
fn csv_fields(value: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let (mut field, mut quoted) = (String::new(), false);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().filter(|f| !f.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_keep_quoted_commas() {
        assert_eq!(csv_fields(r#"generator=a:1,"x=1,2",y="q""q""#), ["generator=a:1", "x=1,2", "y=q\"q"]);
        assert!(csv_fields("").is_empty());
    }

    #[test]
    fn a_disabled_sbom_is_none_and_a_bad_one_an_error() {
        for off in ["disabled=true", "type=sbom,disabled=true", "generator=g:1,disabled=1"] {
            assert_eq!(parse_sbom(off).unwrap(), None, "{off}");
        }
        let on = parse_sbom("type=sbom,disabled=false,generator=g:1,mode=x").unwrap().unwrap();
        assert_eq!((on.generator.as_str(), on.params.len()), ("g:1", 1));
        assert_eq!(parse_sbom("").unwrap().unwrap().generator, DEFAULT_GENERATOR);
        assert_eq!(parse_sbom("disabled=maybe").unwrap_err(), BadOption::SbomDisabled("maybe".into()));
        assert_eq!(parse_sbom("generator=").unwrap_err(), BadOption::SbomEmptyGenerator);
    }
}

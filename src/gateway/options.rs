//! The options BuildKit passes a frontend in its environment.

use std::collections::BTreeMap;

use super::CacheImport;

/// `BUILDKIT_FRONTEND_OPT_<i>` as `key=value`, plus the session id.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub opts: BTreeMap<String, String>,
    pub session_id: Option<String>,
}

impl Options {
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut o = Options::default();
        for (k, v) in vars {
            if k.starts_with("BUILDKIT_FRONTEND_OPT_") {
                // Values may contain `=` (JSON, build args): split at the first one only.
                if let Some((key, value)) = v.split_once('=') {
                    o.opts.insert(key.to_string(), value.to_string());
                }
            } else if k == "BUILDKIT_SESSION_ID" && !v.is_empty() {
                o.session_id = Some(v);
            }
        }
        o
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    /// `build-arg:NAME=VALUE` options.
    pub fn build_args(&self) -> BTreeMap<String, String> {
        self.opts.iter().filter_map(|(k, v)| k.strip_prefix("build-arg:").map(|name| (name.to_string(), v.clone()))).collect()
    }

    /// The spec's file name inside the `dockerfile` local (`-f` gives its base name).
    pub fn filename(&self) -> String {
        self.get("filename").filter(|f| !f.is_empty()).unwrap_or("scratch.yaml").to_string()
    }

    /// The local that holds the spec (`dockerfilekey`, default `dockerfile`).
    pub fn spec_local(&self) -> String {
        self.get("dockerfilekey").filter(|f| !f.is_empty()).unwrap_or("dockerfile").to_string()
    }

    /// The local that holds the build context. Always `context`: since BuildKit v0.13 `contextkey` only
    /// names the option holding a remote context URL, never another local.
    pub fn context_local(&self) -> String {
        "context".to_string()
    }

    /// The caches to import (`--cache-from`): the `cache-imports` option, a JSON list of `{Type, Attrs}`,
    /// or, from older clients, `cache-from`, comma-separated registry references.
    pub fn cache_imports(&self) -> Result<Vec<CacheImport>, BadCacheImports> {
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(rename = "Type")]
            kind: String,
            #[serde(rename = "Attrs", default)]
            attrs: BTreeMap<String, String>,
        }
        if let Some(json) = self.get("cache-imports").filter(|j| !j.trim().is_empty()) {
            let entries: Vec<Entry> = serde_json::from_str(json).map_err(|e| BadCacheImports { option: json.to_string(), reason: e.to_string() })?;
            return Ok(entries.into_iter().map(|e| CacheImport { kind: e.kind, attrs: e.attrs }).collect());
        }
        let refs = self.get("cache-from").unwrap_or_default();
        Ok(refs
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| CacheImport { kind: "registry".into(), attrs: BTreeMap::from([("ref".to_string(), r.to_string())]) })
            .collect())
    }

    /// `label:KEY=VALUE` options (`--label`), which go into the image config.
    pub fn labels(&self) -> Vec<(String, String)> {
        self.opts.iter().filter_map(|(k, v)| k.strip_prefix("label:").map(|name| (name.to_string(), v.clone()))).collect()
    }

    /// `no-cache` present and empty means every step.
    pub fn no_cache(&self) -> bool {
        self.get("no-cache") == Some("")
    }
}

/// A `cache-imports` option that is not the JSON list buildx sends: the option and the parser's reason,
/// both as given (either may be as long as the option: the frontend cuts them for the message).
#[derive(Debug, PartialEq, Eq)]
pub struct BadCacheImports {
    pub option: String,
    pub reason: String,
}

/// `.dockerignore` lines as BuildKit's `local.excludepatterns` wants them.
pub fn parse_dockerignore(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (neg, pat) = l.strip_prefix('!').map_or(("", l), |p| ("!", p));
            let pat = pat.trim_start_matches('/');
            format!("{neg}{}", if pat.is_empty() { "." } else { pat })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_options_at_the_first_equals_sign() {
        let o = Options::from_vars([
            ("BUILDKIT_FRONTEND_OPT_1".to_string(), "build-arg:X=a=b".to_string()),
            ("BUILDKIT_FRONTEND_OPT_0".to_string(), "filename=scratch.yaml".to_string()),
            ("BUILDKIT_SESSION_ID".to_string(), "s1".to_string()),
            ("PATH".to_string(), "/bin".to_string()),
        ]);
        assert_eq!(o.build_args().get("X").unwrap(), "a=b");
        assert_eq!(o.filename(), "scratch.yaml");
        assert_eq!(o.session_id.as_deref(), Some("s1"));
        assert_eq!(o.spec_local(), "dockerfile");
    }

    fn with(pairs: &[(&str, &str)]) -> Options {
        Options::from_vars(pairs.iter().enumerate().map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}"))))
    }

    #[test]
    fn reads_cache_imports_from_json_or_legacy_refs() {
        let o = with(&[("cache-imports", r#"[{"Type":"registry","Attrs":{"ref":"r:5000/c"}},{"Type":"local","Attrs":{"src":"/c"}}]"#)]);
        let imports = o.cache_imports().unwrap();
        assert_eq!(imports.len(), 2);
        assert_eq!((imports[0].kind.as_str(), imports[0].attrs["ref"].as_str()), ("registry", "r:5000/c"));
        assert_eq!((imports[1].kind.as_str(), imports[1].attrs["src"].as_str()), ("local", "/c"));

        let legacy = with(&[("cache-from", "a/b:c, d/e:f")]).cache_imports().unwrap();
        assert_eq!(legacy.iter().map(|i| i.attrs["ref"].as_str()).collect::<Vec<_>>(), ["a/b:c", "d/e:f"]);
        assert!(legacy.iter().all(|i| i.kind == "registry"));

        assert!(with(&[]).cache_imports().unwrap().is_empty());
        assert_eq!(with(&[("cache-imports", "not json")]).cache_imports().unwrap_err().option, "not json");
    }

    #[test]
    fn reads_labels() {
        let o = with(&[("label:org.example.team", "infra"), ("build-arg:X", "1")]);
        assert_eq!(o.labels(), [("org.example.team".to_string(), "infra".to_string())]);
    }

    #[test]
    fn reads_dockerignore() {
        assert_eq!(parse_dockerignore("# c\n\n/target\n!keep\n*.tmp \n"), vec!["target", "!keep", "*.tmp"]);
    }
}

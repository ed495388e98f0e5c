//! The options BuildKit passes a frontend in its environment, as given: [`super::Request`] reads them.

use std::collections::BTreeMap;

use super::keys;

/// `BUILDKIT_FRONTEND_OPT_<i>` as `key=value`, plus the session id.
#[derive(Clone, Debug, Default)]
pub struct Options {
    opts: BTreeMap<String, String>,
    pub(super) session_id: Option<String>,
}

impl Options {
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Whether BuildKit started this process (it sets an option or a session).
    pub fn in_env() -> bool {
        std::env::var_os(format!("{}0", keys::OPTION_ENV_PREFIX)).is_some()
            || std::env::var_os(keys::SESSION_ID_ENV).is_some()
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut o = Options::default();
        for (k, v) in vars {
            if k.starts_with(keys::OPTION_ENV_PREFIX) {
                // Values may contain `=` (JSON, build args): split at the first one only.
                if let Some((key, value)) = v.split_once('=') {
                    o.opts.insert(key.to_string(), value.to_string());
                }
            } else if k == keys::SESSION_ID_ENV && !v.is_empty() {
                o.session_id = Some(v);
            }
        }
        o
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    /// The option `key`, unless absent or empty.
    pub(super) fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// `<prefix>NAME=VALUE` options as `(NAME, VALUE)`.
    pub(super) fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (String, String)> + 'a {
        self.opts.iter().filter_map(move |(k, v)| k.strip_prefix(prefix).map(|name| (name.to_string(), v.clone())))
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.opts.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
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
        assert_eq!(o.get("build-arg:X"), Some("a=b"));
        assert_eq!(o.get("filename"), Some("scratch.yaml"));
        assert_eq!(o.session_id.as_deref(), Some("s1"));
        assert_eq!(o.iter().count(), 2);
    }

    #[test]
    fn reads_dockerignore() {
        assert_eq!(parse_dockerignore("# c\n\n/target\n!keep\n*.tmp \n"), vec!["target", "!keep", "*.tmp"]);
    }
}

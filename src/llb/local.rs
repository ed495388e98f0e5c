//! How a `local://` source (a directory the client sends) is read, as moby's `llb.Local` options say it.

use std::collections::BTreeMap;

/// The options of one local source; each becomes a `local.*` attribute, and an empty one none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalOptions {
    /// The client session that serves the local (`local.session`).
    pub session: Option<String>,
    /// Sources with the same hint share their cache of the directory (`local.sharedkeyhint`).
    pub shared_key_hint: Option<String>,
    /// Only these paths are sent (`local.followpaths`).
    pub follow_paths: Vec<String>,
    /// `.dockerignore`-style patterns of what is not sent (`local.excludepatterns`).
    pub exclude_patterns: Vec<String>,
}

impl LocalOptions {
    pub(super) fn attrs(&self) -> BTreeMap<String, String> {
        let json = |list: &Vec<String>| serde_json::to_string(list).unwrap_or_default();
        let mut attrs = BTreeMap::new();
        if let Some(s) = &self.session {
            attrs.insert("local.session".to_string(), s.clone());
        }
        if let Some(hint) = &self.shared_key_hint {
            attrs.insert("local.sharedkeyhint".to_string(), hint.clone());
        }
        if !self.follow_paths.is_empty() {
            attrs.insert("local.followpaths".to_string(), json(&self.follow_paths));
        }
        if !self.exclude_patterns.is_empty() {
            attrs.insert("local.excludepatterns".to_string(), json(&self.exclude_patterns));
        }
        attrs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_is_one_attribute_and_an_empty_one_none() {
        assert!(LocalOptions::default().attrs().is_empty());
        let all = LocalOptions {
            session: Some("s1".into()),
            shared_key_hint: Some("context".into()),
            follow_paths: vec!["scratch.yaml".into()],
            exclude_patterns: vec!["*.tmp".into(), "!keep".into()],
        };
        let attrs = all.attrs();
        assert_eq!(attrs["local.session"], "s1");
        assert_eq!(attrs["local.sharedkeyhint"], "context");
        assert_eq!(attrs["local.followpaths"], r#"["scratch.yaml"]"#);
        assert_eq!(attrs["local.excludepatterns"], r#"["*.tmp","!keep"]"#);
    }
}

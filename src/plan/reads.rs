//! The builder paths the checks read, known before the build: the frontend copies them into a small probe
//! state and reads that instead of the builder itself. With every step cached (a warm `--cache-from`), BuildKit
//! then fetches only the probe's small layer, never the builder image's hundreds of megabytes, as it does for a
//! hand-written Dockerfile whose `COPY --from=builder` is cached.
//!
//! `verify` says what it reads, `lower` builds the probe, `frontend` routes reads through it: this module is
//! the type they share and the one rule that maps a builder path to its place in the probe.

use super::fold_clamped;

/// One builder path the checks read: a file, or a tree they may read anywhere below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuilderRead {
    pub path: String,
    /// `None`: the build fails without the path, so the probe copies it as it is (and fails without it,
    /// which sends the checks to the builder to say so). `Some(dir)`: the path may be absent; the probe
    /// looks for it with a pattern starting at `dir`, the deepest ancestor the builder surely has, which
    /// BuildKit walks (so `dir` should be small; never `/`).
    pub optional_below: Option<String>,
    /// Only the names below `path` that match these patterns are read (empty: all).
    pub only: Vec<String>,
    /// Names below `path` the checks never read (the zone database's `right/`).
    pub except: Vec<String>,
    /// Whether what the probe lacks of it the builder lacks too. Not so where `only` cannot follow the
    /// builder's symlinks (a `/usr/share/doc/<package>` that links to another package's directory).
    pub exhaustive: bool,
}

impl BuilderRead {
    /// A file or tree the build needs.
    pub fn at(path: &str) -> Self {
        BuilderRead { path: path.to_string(), optional_below: None, only: Vec::new(), except: Vec::new(), exhaustive: true }
    }

    /// A file or tree that may be absent, looked for from `ancestor`.
    pub fn optional_below(mut self, ancestor: &str) -> Self {
        self.optional_below = Some(ancestor.to_string());
        self
    }

    pub fn only(mut self, patterns: &[&str], exhaustive: bool) -> Self {
        self.only = patterns.iter().map(|n| n.to_string()).collect();
        self.exhaustive = exhaustive;
        self
    }
}

/// Where the probe keeps read `index`: each read is copied to a top-level entry of its own, so no two reads
/// can overlap (a tree and a file inside it, or two trees, would otherwise nest one copy in another).
pub fn probe_root(index: usize) -> String {
    format!("/{index}")
}

/// The probe path that holds builder path `path`, if a read covers it: the innermost read at or above it.
/// With `exhaustive_only`, only reads whose absence is the builder's absence count (what a copy into the
/// image may rely on).
pub fn probe_path(reads: &[BuilderRead], path: &str, exhaustive_only: bool) -> Option<String> {
    let path = fold_clamped(path);
    reads
        .iter()
        .enumerate()
        .filter(|(_, r)| r.exhaustive || !exhaustive_only)
        .filter_map(|(i, r)| path.strip_prefix(r.path.as_str()).filter(|rest| rest.is_empty() || rest.starts_with('/')).map(|rest| (r.path.len(), i, rest)))
        .max_by_key(|(len, _, _)| *len)
        .map(|(_, i, rest)| format!("{}{rest}", probe_root(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads() -> Vec<BuilderRead> {
        vec![
            BuilderRead::at("/out/app"),
            BuilderRead::at("/usr/share/zoneinfo").only(&["zone.tab"], false),
            BuilderRead::at("/usr/share/doc").optional_below("/usr/share").only(&["*/copyright"], false),
            BuilderRead::at("/usr/share/doc/extra"),
        ]
    }

    #[test]
    fn paths_map_into_the_innermost_read() {
        let r = reads();
        assert_eq!(probe_path(&r, "/out/app", true).as_deref(), Some("/0"));
        assert_eq!(probe_path(&r, "/usr/share/zoneinfo/zone.tab", false).as_deref(), Some("/1/zone.tab"));
        assert_eq!(probe_path(&r, "/usr/share/doc/extra/README", false).as_deref(), Some("/3/README"));
        assert_eq!(probe_path(&r, "/usr/share/doc/libc6/copyright", false).as_deref(), Some("/2/libc6/copyright"));
        // Paths are folded first, as the loader and dpkg's lists may spell them.
        assert_eq!(probe_path(&r, "/out/../out/app", true).as_deref(), Some("/0"));
    }

    #[test]
    fn a_partial_read_does_not_count_for_copies() {
        let r = reads();
        assert_eq!(probe_path(&r, "/usr/share/doc/libc6/copyright", true), None);
        assert_eq!(probe_path(&r, "/usr/share/doc/extra/README", true).as_deref(), Some("/3/README"));
    }

    #[test]
    fn a_name_that_only_starts_like_a_read_is_not_in_it() {
        let r = reads();
        assert_eq!(probe_path(&r, "/out/app2", false), None);
        assert_eq!(probe_path(&r, "/out", false), None);
        assert_eq!(probe_path(&r, "/usr/share/zoneinfo-extra", false), None);
    }
}

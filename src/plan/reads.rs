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
    /// Whether what the probe lacks of it the builder lacks too. Not so where `only` cannot follow the
    /// builder's symlinks (a `/usr/share/doc/<package>` that links to another package's directory).
    pub exhaustive: bool,
    /// A directory of plain files (dpkg's `info`): a miss below it is as final as one at its own path, since
    /// no symlink there can point outside the probe.
    pub flat: bool,
    /// Looked for by name in its directory (`optional_below` is its parent), by one copy for all such reads
    /// of that directory: one walk of the directory in all, where a pattern per read walks it once each
    /// (1,000 copies from one directory: 1,000 walks of it). That copy takes the entry as it is: a symlink
    /// at the path is copied as the link, which may point outside the probe.
    pub by_name: bool,
}

impl BuilderRead {
    /// A file or tree the build needs.
    pub fn at(path: &str) -> Self {
        BuilderRead {
            path: path.to_string(),
            optional_below: None,
            only: Vec::new(),
            exhaustive: true,
            flat: false,
            by_name: false,
        }
    }

    /// A file or tree that may be absent, looked for from `ancestor`.
    pub fn optional_below(mut self, ancestor: &str) -> Self {
        self.optional_below = Some(ancestor.to_string());
        self
    }

    /// A file or tree that may be absent, looked for by name in its parent directory (see `by_name`).
    pub fn by_name(mut self) -> Self {
        let parent = self.path.rsplit_once('/').map(|(dir, _)| if dir.is_empty() { "/" } else { dir });
        self.optional_below = parent.map(str::to_string);
        self.by_name = true;
        self
    }

    pub fn flat(mut self) -> Self {
        self.flat = true;
        self
    }

    pub fn only(mut self, patterns: &[&str], exhaustive: bool) -> Self {
        self.only = patterns.iter().map(|n| n.to_string()).collect();
        self.exhaustive = exhaustive;
        self
    }
}

/// Where the probe keeps read `index`: each read is copied to a directory of its own, under its own name
/// (`/0/app`), so no two reads can overlap (a tree and a file inside it would otherwise nest one copy in
/// another), and a copy out of the probe names what it copies as a copy out of the builder would: copied onto
/// an existing directory, BuildKit puts the source in it under the source's base name. The reads looked for
/// by name in one directory share the directory of the first of them (`/0/app`, `/0/lib`): each is one name
/// of the builder's directory, so they cannot overlap either.
pub fn probe_root(reads: &[BuilderRead], index: usize) -> String {
    let read = &reads[index];
    let name = read.path.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("root");
    format!("{}/{name}", probe_dir(reads, index))
}

/// The directory of the probe that holds read `index` (`/0`).
fn probe_dir(reads: &[BuilderRead], index: usize) -> String {
    let read = &reads[index];
    let first = if read.by_name {
        reads.iter().position(|r| r.by_name && r.optional_below == read.optional_below).unwrap_or(index)
    } else {
        index
    };
    format!("/{first}")
}

/// Where a builder path is in the probe, and what the probe can say of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InProbe {
    pub path: String,
    /// Where the read itself is in the probe (`/0/etc` for a path below `/out/etc`); for a read looked
    /// for by name, the directory that holds it (`/0`), whose listing names what its builder directory has
    /// of the names looked for there.
    pub root: String,
    /// The path is a read's own path, not something below it. Below a read, a symlink the builder
    /// resolves through its own root (`lib.so.1 -> /usr/local/lib/lib.so.1.2`) points into nothing in the
    /// probe, so only a file found there is certain.
    pub own: bool,
    /// The read is exhaustive: at its own path, a miss in the probe is a miss in the builder.
    pub exhaustive: bool,
    /// The read is flat: below it too.
    pub flat: bool,
    /// The read is exhaustive and has no `only` patterns: every entry of every directory below it is in
    /// the probe (a symlink as a symlink), so a name its directory's listing lacks is not in the builder.
    pub whole: bool,
    /// The read was looked for by name: its own path may be a symlink that points out of the probe.
    pub by_name: bool,
}

impl InProbe {
    /// Whether a miss here is final (the builder has nothing there either). Not so at a read looked for
    /// by name: a symlink there is copied as the link; the listing of its directory answers instead.
    pub fn miss_is_final(&self) -> bool {
        self.exhaustive && !self.by_name && (self.own || self.flat)
    }
}

/// Where builder path `path` is in the probe, if a read holds it: the innermost read at or above it.
pub fn in_probe(reads: &[BuilderRead], path: &str) -> Option<InProbe> {
    let path = fold_clamped(path);
    reads
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            path.strip_prefix(r.path.as_str())
                .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                .map(|rest| (i, r, rest))
        })
        .max_by_key(|(_, r, _)| r.path.len())
        .map(|(i, r, rest)| InProbe {
            path: format!("{}{rest}", probe_root(reads, i)),
            root: if r.by_name { probe_dir(reads, i) } else { probe_root(reads, i) },
            own: rest.is_empty(),
            exhaustive: r.exhaustive,
            flat: r.flat,
            whole: r.exhaustive && r.only.is_empty(),
            by_name: r.by_name,
        })
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
            BuilderRead::at("/var/lib/dpkg/info").optional_below("/var/lib").only(&["*.list"], true).flat(),
        ]
    }

    #[test]
    fn paths_map_into_the_innermost_read_under_their_own_name() {
        let r = reads();
        let at = |p: &str| in_probe(&r, p).map(|found| found.path);
        assert_eq!(at("/out/app").as_deref(), Some("/0/app"));
        assert_eq!(at("/usr/share/zoneinfo/zone.tab").as_deref(), Some("/1/zoneinfo/zone.tab"));
        assert_eq!(at("/usr/share/doc/extra/README").as_deref(), Some("/3/extra/README"));
        assert_eq!(at("/usr/share/doc/libc6/copyright").as_deref(), Some("/2/doc/libc6/copyright"));
        // Paths are folded first, as the loader and dpkg's lists may spell them.
        assert_eq!(at("/out/../out/app").as_deref(), Some("/0/app"));
    }

    #[test]
    fn a_miss_is_final_only_at_an_exhaustive_reads_own_path() {
        let r = reads();
        let final_miss = |p: &str| in_probe(&r, p).map(|found| found.miss_is_final());
        assert_eq!(final_miss("/out/app"), Some(true));
        assert_eq!(final_miss("/usr/share/doc/extra"), Some(true));
        // Below a read, a symlink resolved through the builder's root may point outside the probe.
        assert_eq!(final_miss("/usr/share/doc/extra/README"), Some(false));
        // A partial read vouches for nothing it lacks.
        assert_eq!(final_miss("/usr/share/zoneinfo"), Some(false));
        assert_eq!(final_miss("/usr/share/doc/libc6/copyright"), Some(false));
        // Below a flat read, as at its own path.
        assert_eq!(final_miss("/var/lib/dpkg/info/libc6.list"), Some(true));
    }

    #[test]
    fn a_read_without_patterns_is_whole() {
        let r = reads();
        let whole = |p: &str| in_probe(&r, p).map(|found| found.whole);
        assert_eq!(whole("/usr/share/doc/extra/README"), Some(true));
        assert_eq!(whole("/usr/share/zoneinfo/zone.tab"), Some(false));
        assert_eq!(whole("/usr/share/doc/libc6/copyright"), Some(false));
        // Exhaustive for what the checks read, but its listings show only what the patterns matched.
        assert_eq!(whole("/var/lib/dpkg/info/libc6.list"), Some(false));
    }

    #[test]
    fn the_reads_looked_for_by_name_in_one_directory_share_its_place_in_the_probe() {
        let r = vec![
            BuilderRead::at("/out/app").by_name(),
            BuilderRead::at("/etc/services").optional_below("/etc"),
            BuilderRead::at("/out/lib").by_name(),
            BuilderRead::at("/out/bin/tool").by_name(),
            BuilderRead::at("/out/bin/other").by_name(),
        ];
        assert_eq!(r[2].optional_below.as_deref(), Some("/out"));
        assert_eq!(BuilderRead::at("/app").by_name().optional_below.as_deref(), Some("/"));
        let at = |p: &str| in_probe(&r, p).expect("in the probe");
        assert_eq!(at("/out/app").path, "/0/app");
        assert_eq!(at("/etc/services").path, "/1/services");
        assert_eq!(at("/out/lib/x.so").path, "/0/lib/x.so");
        assert_eq!(at("/out/bin/other").path, "/3/other");
        // Their directory's listing answers for a miss, not the miss itself: a symlink there is copied as the link.
        let lib = at("/out/lib");
        assert_eq!((lib.root.as_str(), lib.own, lib.by_name, lib.whole), ("/0", true, true, true));
        assert!(!lib.miss_is_final());
        assert_eq!(at("/out/bin/other").root, "/3");
        assert_eq!(at("/etc/services").root, "/1/services");
        assert!(at("/etc/services").miss_is_final());
    }

    #[test]
    fn a_name_that_only_starts_like_a_read_is_not_in_it() {
        let r = reads();
        assert_eq!(in_probe(&r, "/out/app2"), None);
        assert_eq!(in_probe(&r, "/out"), None);
        assert_eq!(in_probe(&r, "/usr/share/zoneinfo-extra"), None);
    }
}

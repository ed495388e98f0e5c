//! The probe: a scratch state holding copies of only the builder paths the checks read
//! ([`crate::plan::BuilderRead`]), each in a directory of its own (`/0/app`, `/1/services`, ...).
//!
//! A path the build needs is copied as it is: without it the probe fails, and the checks read the builder,
//! which says in their words what is missing. A path that may be absent is a wildcard copy whose pattern
//! matches only that path (`/etc/[s]ervices`): BuildKit copies a pattern that matches nothing as nothing. It
//! starts at the read's `optional_below` directory, which BuildKit walks (a cold build's only extra cost).
//! The reads looked for by name ([`BuilderRead::by_name`], the copies' sources) are grouped by directory:
//! one copy of the directory whose include patterns are their names, so BuildKit walks each directory once,
//! however many files are copied from it (a pattern per file walked it once per file: quadratic).
//!
//! The image's copies of these paths read the probe too, so what was checked is what ships, and the probe
//! is part of the image's graph: a `mode=max` cache export carries it, and a build that imports that cache
//! reads the probe's small layer instead of pulling the builder image.

use std::collections::BTreeMap;

use crate::llb::{CopyOptions, FileAction, State};
use crate::plan::{probe_root, BuilderRead};

pub const NAME: &str = "[internal] probe the builder's output";

/// The probe state for these reads of `builder`.
pub fn state(reads: &[BuilderRead], builder: &State) -> State {
    let mut actions = Vec::new();
    // The copy (index into `actions`) of each directory whose entries are looked for by name.
    let mut by_dir: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, read) in reads.iter().enumerate() {
        if let (true, Some(dir)) = (read.by_name, read.optional_below.as_deref()) {
            let name = include_pattern(read.path.rsplit('/').next().unwrap_or_default());
            if let Some(&at) = by_dir.get(dir) {
                if let Some(FileAction::Copy { options, .. }) = actions.get_mut(at) {
                    options.include_patterns.push(name);
                }
                continue;
            }
            by_dir.insert(dir, actions.len());
            // The directory itself, its own symlink followed (as where a pattern starts is), copied to `/<i>`,
            // where `probe_root` puts the names of this directory's reads, `i` being the first of them. Not a
            // pattern: a missing directory fails the probe, as a pattern starting there does.
            let dest = format!("/{i}");
            let options = CopyOptions {
                follow_symlinks: true,
                create_dest_path: true,
                include_patterns: vec![name],
                ..CopyOptions::default()
            };
            actions.push(FileAction::Copy { from: builder.clone(), src: dir.to_string(), dest, options });
            continue;
        }
        let (src, allow_wildcard) = match &read.optional_below {
            Some(dir) => (pattern(&read.path, dir), true),
            None => (read.path.clone(), false),
        };
        actions.push(FileAction::Copy {
            from: builder.clone(),
            src,
            dest: probe_root(reads, i),
            options: CopyOptions {
                follow_symlinks: true,
                create_dest_path: true,
                allow_wildcard,
                allow_empty_wildcard: allow_wildcard,
                include_patterns: read.only.clone(),
                ..CopyOptions::default()
            },
        });
    }
    State::scratch().file(actions).named(NAME)
}

/// An include pattern that matches exactly the entry `name` (BuildKit's patternmatcher): `*?[]\` taken
/// literally, a leading `!` not an exclusion, and leading or trailing white space, which the matcher
/// trims, kept in a class (`[ ]`; a backslash before a character outside ASCII is not valid there).
pub fn include_pattern(name: &str) -> String {
    let last = name.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(name.len() + 2);
    for (i, c) in name.chars().enumerate() {
        match c {
            '*' | '?' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '!' if i == 0 => out.push_str("\\!"),
            c if c.is_whitespace() && (i == 0 || i == last) => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// `path` with its first component below `dir` made a one-character class (`/var/lib/[d]pkg/info`), so that
/// BuildKit resolves it as a pattern starting at `dir`.
pub fn pattern(path: &str, dir: &str) -> String {
    let dir = dir.trim_end_matches('/');
    let Some(rest) = path.strip_prefix(dir).and_then(|r| r.strip_prefix('/')).filter(|r| !r.is_empty()) else {
        return path.to_string(); // not below `dir`: `verify` never says so; a literal copy still works
    };
    let mut chars = rest.chars();
    let first = chars.next().unwrap_or_default();
    // Inside a class a backslash takes the next character literally (Go's filepath.Match, which BuildKit uses).
    let class = if first.is_ascii_alphanumeric() { format!("[{first}]") } else { format!("[\\{first}]") };
    format!("{dir}/{class}{}", chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_starts_below_the_directory() {
        assert_eq!(pattern("/out/app", "/out"), "/out/[a]pp");
        assert_eq!(pattern("/var/lib/dpkg/info", "/var/lib"), "/var/lib/[d]pkg/info");
        assert_eq!(pattern("/var/lib/dpkg/info", "/var/lib/"), "/var/lib/[d]pkg/info");
        assert_eq!(pattern("/etc/.hidden", "/etc"), "/etc/[\\.]hidden");
        assert_eq!(pattern("/etc/é", "/etc"), "/etc/[\\é]");
    }

    #[test]
    fn a_path_not_below_the_directory_is_copied_as_it_is() {
        assert_eq!(pattern("/out/app", "/etc"), "/out/app");
        assert_eq!(pattern("/out/app", "/out/app"), "/out/app");
        assert_eq!(pattern("/out/apps", "/out/app"), "/out/apps");
    }

    #[test]
    fn the_names_looked_for_in_one_directory_are_one_copy_of_it() {
        let reads: Vec<BuilderRead> = ["/out/app", "/out/b/x", "/out/lib", "/out/b/y", "/out/!x"]
            .iter()
            .map(|p| BuilderRead::at(p).by_name())
            .collect();
        let def =
            state(&reads, &State::image("docker.io/library/golang:1", &crate::platform::Platform::linux_amd64(), None))
                .marshal(&crate::llb::MarshalOptions::default());
        let text = format!("{:#}", crate::llb::render(&def));
        // Two copies, one per directory, each to the place of its first read; not patterns: a missing
        // directory fails the probe, as a pattern starting there does.
        assert_eq!(text.matches("\"copy\": ").count(), 2, "{text}");
        assert!(text.contains("\"copy\": \"/out\"") && text.contains("\"dest\": \"/0\""), "{text}");
        assert!(text.contains("\"copy\": \"/out/b\"") && text.contains("\"dest\": \"/1\""), "{text}");
        assert!(!text.contains("may match nothing"), "{text}");
        for name in ["\"app\"", "\"lib\"", "\"x\"", "\"y\"", "\"\\\\!x\""] {
            assert!(text.contains(name), "{name} is not an include pattern: {text}");
        }
        assert_eq!(text.matches("\"follow_symlink\": true").count(), 2, "{text}");
        assert_eq!(text.matches("\"create_dest_path\": true").count(), 2, "{text}");
    }

    #[test]
    fn an_include_pattern_matches_only_its_name() {
        assert_eq!(include_pattern("app"), "app");
        assert_eq!(include_pattern("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        // BuildKit's matcher reads a leading `!` as an exclusion and trims white space at either end.
        assert_eq!(include_pattern("!x!"), "\\!x!");
        assert_eq!(include_pattern(" a b\t"), "[ ]a b[\t]");
        assert_eq!(include_pattern("\u{a0}é"), "[\u{a0}]é");
        assert_eq!(include_pattern(" "), "[ ]");
        assert_eq!(include_pattern(""), "");
    }

    #[test]
    fn a_needed_path_is_copied_as_it_is_and_an_optional_one_may_match_nothing() {
        let reads =
            [BuilderRead::at("/app"), BuilderRead::at("/etc/services").optional_below("/etc").only(&["*.conf"], true)];
        let def =
            state(&reads, &State::image("docker.io/library/golang:1", &crate::platform::Platform::linux_amd64(), None))
                .marshal(&crate::llb::MarshalOptions::default());
        let text = format!("{:#}", crate::llb::render(&def));
        assert!(text.contains("\"copy\": \"/app\""), "{text}");
        assert!(text.contains("\"copy\": \"/etc/[s]ervices\""), "{text}");
        assert_eq!(text.matches("may match nothing").count(), 1, "{text}");
        assert!(text.contains("\"dest\": \"/0/app\"") && text.contains("\"dest\": \"/1/services\""), "{text}");
        // Following the path's own symlink: Debian's /etc/os-release is one.
        assert_eq!(text.matches("\"follow_symlink\": true").count(), 2, "{text}");
        assert!(text.contains("\"include\": [\n") && text.contains("\"*.conf\""), "{text}");
        // `/0` does not exist: BuildKit refuses a copy into a missing directory unless told to make it.
        assert_eq!(text.matches("\"create_dest_path\": true").count(), 2, "{text}");
    }
}

//! The probe: a scratch state holding copies of only the builder paths the checks read
//! ([`crate::plan::BuilderRead`]), each in a directory of its own (`/0/app`, `/1/services`, ...).
//!
//! A path the build needs is copied as it is: without it the probe fails, and the checks read the builder,
//! which says in their words what is missing. A path that may be absent is a wildcard copy whose pattern
//! matches only that path (`/etc/[s]ervices`): BuildKit copies a pattern that matches nothing as nothing. It
//! starts at the read's `optional_below` directory, which BuildKit walks (a cold build's only extra cost).
//!
//! The image's copies of these paths read the probe too, so what was checked is what ships, and the probe
//! is part of the image's graph: a `mode=max` cache export carries it, and a build that imports that cache
//! reads the probe's small layer instead of pulling the builder image.

use crate::llb::{CopyOptions, FileAction, State};
use crate::plan::{probe_root, BuilderRead};

pub const NAME: &str = "[internal] probe the builder's output";

/// The probe state for these reads of `builder`.
pub fn state(reads: &[BuilderRead], builder: &State) -> State {
    let actions = reads
        .iter()
        .enumerate()
        .map(|(i, read)| {
            let (src, allow_wildcard) = match &read.optional_below {
                Some(dir) => (pattern(&read.path, dir), true),
                None => (read.path.clone(), false),
            };
            FileAction::Copy {
                from: builder.clone(),
                src,
                dest: probe_root(i, read),
                options: CopyOptions {
                    follow_symlinks: true,
                    create_dest_path: true,
                    allow_wildcard,
                    allow_empty_wildcard: allow_wildcard,
                    include_patterns: read.only.clone(),
                    ..CopyOptions::default()
                },
            }
        })
        .collect();
    State::scratch().file(actions).named(NAME)
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
    fn a_needed_path_is_copied_as_it_is_and_an_optional_one_may_match_nothing() {
        let reads = [BuilderRead::at("/app"), BuilderRead::at("/etc/services").optional_below("/etc").only(&["*.conf"], true)];
        let def = state(&reads, &State::image("docker.io/library/golang:1", &crate::platform::Platform::linux_amd64(), None))
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

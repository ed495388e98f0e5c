//! The probe: a scratch state holding copies of only the builder paths the checks read
//! ([`crate::plan::BuilderRead`]), each at its own top-level entry (`/0`, `/1`, ...).
//!
//! Each read is a wildcard copy whose pattern matches only the path itself (`/out/[a]pp`): BuildKit copies
//! a literal path that is not there as an error, a pattern that matches nothing as nothing. So a missing
//! file is a missing file in the probe, which the checks report in their own words. The pattern starts
//! below the read's `from`, which must exist: BuildKit walks it (a cold build's only extra cost).
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
        .map(|(i, read)| FileAction::Copy {
            from: builder.clone(),
            src: pattern(read),
            dest: probe_root(i),
            options: CopyOptions {
                follow_symlinks: true,
                allow_wildcard: true,
                allow_empty_wildcard: true,
                include_patterns: read.only.clone(),
                exclude_patterns: read.except.clone(),
                ..CopyOptions::default()
            },
        })
        .collect();
    State::scratch().file(actions).named(NAME)
}

/// `read.path` with the first component below `read.from` made a one-character class (`/var/lib/[d]pkg/info`),
/// so that BuildKit resolves it as a pattern starting at `from`.
pub fn pattern(read: &BuilderRead) -> String {
    let from = read.from.trim_end_matches('/');
    let Some(rest) = read.path.strip_prefix(from).and_then(|r| r.strip_prefix('/')).filter(|r| !r.is_empty()) else {
        return read.path.clone(); // not below `from`: `verify` never says so; a literal copy still works
    };
    let mut chars = rest.chars();
    let first = chars.next().unwrap_or_default();
    // Inside a class a backslash takes the next character literally (Go's filepath.Match, which BuildKit uses).
    let class = if first.is_ascii_alphanumeric() { format!("[{first}]") } else { format!("[\\{first}]") };
    format!("{from}/{class}{}", chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_starts_below_from() {
        assert_eq!(pattern(&BuilderRead::at("/out/app")), "/out/[a]pp");
        assert_eq!(pattern(&BuilderRead::at("/app")), "/[a]pp");
        assert_eq!(pattern(&BuilderRead::at("/var/lib/dpkg/info").from("/var/lib")), "/var/lib/[d]pkg/info");
        assert_eq!(pattern(&BuilderRead::at("/out/.hidden")), "/out/[\\.]hidden");
        assert_eq!(pattern(&BuilderRead::at("/out/é")), "/out/[\\é]");
    }

    #[test]
    fn a_read_not_below_from_is_copied_as_it_is() {
        assert_eq!(pattern(&BuilderRead::at("/out/app").from("/etc")), "/out/app");
        assert_eq!(pattern(&BuilderRead::at("/out/app").from("/out/app")), "/out/app");
    }
}

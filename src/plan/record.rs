//! What BuildKit can keep of a build. Docker's BuildKit records every build (its history) with the build's
//! definition as provenance JSON, and writes that record to the content store in one gRPC message of at
//! most 16 MiB: a larger one fails the build after the image was exported (`trying to send message larger
//! than max`, moby/buildkit#6097). Each copy is one file action in that JSON, so a copy list can reach the
//! limit, and `check` says so before the build does.

use super::{Copy, Source};

/// BuildKit's gRPC message limit.
const MESSAGE_LIMIT: usize = 16 << 20;
/// What the copies may take of it: the rest is for the rootfs, the libraries, the probe and the metadata.
pub const COPY_BUDGET: usize = MESSAGE_LIMIT / 4 * 3;
/// One copy action in the record's indented JSON besides its paths: 617 bytes a copy measured from the
/// record of a 10,000-copy build (Docker 26.1.5, paths of 28 bytes in all), rounded up.
const ACTION_BYTES: usize = 600;

/// The bytes the copies are estimated to take in BuildKit's record: each action with its source path, its
/// destination, and the destination again where the checks' probe copies it.
pub fn copy_bytes(copies: &[Copy]) -> usize {
    copies.iter().map(|c| ACTION_BYTES + source_len(&c.from) + 2 * c.dest.as_str().len()).sum()
}

fn source_len(source: &Source) -> usize {
    match source {
        Source::Builder(p) => p.as_str().len(),
        Source::Context(p) => p.len() + 1,
        Source::Named { name, path } => name.len() + path.len() + 10,
    }
}

/// The error for copies over the budget, as (message, hint), or `None`.
pub fn over_budget(copies: &[Copy]) -> Option<(String, String)> {
    let bytes = copy_bytes(copies);
    (bytes > COPY_BUDGET).then(|| {
        let mib = |b: usize| format!("{:.1} MiB", b as f64 / f64::from(1 << 20));
        (
            format!(
                "`copy` lists {} entries, about {} in BuildKit's record of the build: BuildKit writes that record in one message of at most {} and fails the build after the export when it is larger; the copies may take {}",
                copies.len(),
                mib(bytes),
                mib(MESSAGE_LIMIT),
                mib(COPY_BUDGET)
            ),
            "copy whole directories (`- /out/files/`) instead of the files in them".to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;
    use crate::plan::{AbsPath, Owner};

    fn copy(path: &str) -> Copy {
        let p = AbsPath::parse(path).expect("a path");
        Copy {
            from: Source::Builder(p.clone()),
            dest: p,
            contents: false,
            mode: None,
            owner: Owner::ROOT,
            span: Span::new(1, 1, 1),
        }
    }

    #[test]
    fn ten_thousand_short_copies_fit_and_twenty_thousand_do_not() {
        // 10,000 copies of `/out/files/fNNNNNN` were an 8.3 MB record, and the build passed.
        let ten: Vec<Copy> = (0..10_000).map(|i| copy(&format!("/out/files/f{i:06}"))).collect();
        assert!(over_budget(&ten).is_none(), "{} bytes", copy_bytes(&ten));
        let twenty: Vec<Copy> = (0..20_000).map(|i| copy(&format!("/out/files/f{i:06}"))).collect();
        let (message, hint) = over_budget(&twenty).expect("over the budget");
        assert!(message.starts_with("`copy` lists 20000 entries, about 12.5 MiB"), "{message}");
        assert!(hint.contains("whole directories"), "{hint}");
    }

    #[test]
    fn long_paths_count() {
        let long = format!("/{}", vec!["d".repeat(250); 15].join("/"));
        let few: Vec<Copy> = (0..3_000).map(|i| copy(&format!("{long}/{i}"))).collect();
        assert!(over_budget(&few).is_some(), "3,000 copies of 3.8 KB paths: {} bytes", copy_bytes(&few));
    }
}

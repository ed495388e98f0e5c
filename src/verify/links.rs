//! Symlinks inside copied directories. The copy keeps them as links, so one whose target lies outside
//! what the image gets would dangle (the JDK's `conf/security/java.security` →
//! `/etc/java-17-openjdk/security/java.security`). The behaviour chosen: a target the builder has is
//! brought from the builder to the same path, like a library (symlinks followed, root-owned); a target
//! the builder lacks too is a warning (the link dangles there as well); a relative link that leaves a
//! directory copied to another path is an error naming it (its target in the image is not the one it
//! had). Targets in the kernel's filesystems (`/proc`, `/sys`, `/dev`, `/run`) are left alone: they are
//! there when a container runs.

use futures_util::stream::{self, StreamExt};

use super::libraries::Layout;
use super::trees::Placed;
use super::Filesystem;
use crate::plan::fold_clamped as fold;

/// Requests in flight at once.
const CONCURRENT: usize = 32;

/// Filesystems a container runtime mounts: a link into them is not the image's to fill.
const RUNTIME: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// What becomes of one link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its target is in the image: a copy or a rootfs piece puts it there.
    Inside,
    /// Its target is brought from this builder path, to the same path in the image.
    Bring(String),
    /// The builder has no target either.
    Dangling { target: String },
    /// A relative link out of a directory the image has at another path: the target it would reach there.
    Moved { target: String },
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Where `target`, written in the link at `at`, leads.
fn resolve(at: &str, target: &str) -> String {
    if target.starts_with('/') {
        fold(target)
    } else {
        fold(&format!("{}/{target}", parent(at)))
    }
}

fn under(path: &str, dir: &str) -> bool {
    path == dir || path.strip_prefix(dir.trim_end_matches('/')).is_some_and(|rest| rest.starts_with('/'))
}

/// Decides each link. `provided` says whether an image path is written by a rootfs piece.
pub async fn check<F: Filesystem>(
    fs: &F,
    layout: &Layout,
    provided: &(dyn Fn(&str) -> bool + Sync),
    links: &[(Placed, String)],
) -> Vec<Verdict> {
    stream::iter(links.iter().map(|(link, target)| verdict(fs, layout, provided, link, target)))
        .buffered(CONCURRENT)
        .collect()
        .await
}

async fn verdict<F: Filesystem>(
    fs: &F,
    layout: &Layout,
    provided: &(dyn Fn(&str) -> bool + Sync),
    link: &Placed,
    target: &str,
) -> Verdict {
    let in_image = resolve(&link.image, target);
    if RUNTIME.iter().any(|r| under(&in_image, r)) || provided(&in_image) {
        return Verdict::Inside;
    }
    if let Some(from) = layout.shipped(&in_image) {
        if fs.stat(&from).await.is_ok() {
            return Verdict::Inside;
        }
    }
    let in_builder = resolve(&link.builder, target);
    if in_builder != in_image {
        return Verdict::Moved { target: in_image };
    }
    match fs.stat(&in_builder).await {
        Ok(_) => Verdict::Bring(in_builder),
        Err(_) => Verdict::Dangling { target: in_builder },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_from_the_links_directory() {
        assert_eq!(
            resolve("/usr/lib/jvm/x/conf/security/java.security", "/etc/java-17-openjdk/security/java.security"),
            "/etc/java-17-openjdk/security/java.security"
        );
        assert_eq!(resolve("/opt/app/lib/libx.so", "../../share/x"), "/opt/share/x");
        assert_eq!(resolve("/a/b", "c"), "/a/c");
        assert!(under("/proc/self/mounts", "/proc") && under("/proc", "/proc") && !under("/process", "/proc"));
    }
}

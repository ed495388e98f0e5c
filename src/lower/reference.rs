//! Image references as BuildKit's `docker-image://` sources want them: `golang:1.23` →
//! `docker.io/library/golang:1.23`.

/// Normalizes a Docker reference the way the Go `reference.ParseNormalizedNamed` does for the common
/// cases: add the default registry and `library/`, and `:latest` when neither a tag nor a digest is given.
pub fn normalize(reference: &str) -> String {
    let (name, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    let first = repo.split('/').next().unwrap_or_default();
    let has_domain = repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let repo = if has_domain {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    };
    let mut out = repo;
    match (tag, digest) {
        (Some(t), _) => {
            out.push(':');
            out.push_str(t);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    out
}

/// Pins a reference to a manifest digest, replacing any digest it had.
pub fn pin(reference: &str, digest: &str) -> String {
    let name = reference.split('@').next().unwrap_or(reference);
    format!("{}@{digest}", normalize(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_docker() {
        assert_eq!(normalize("golang:1.23"), "docker.io/library/golang:1.23");
        assert_eq!(normalize("golang"), "docker.io/library/golang:latest");
        assert_eq!(normalize("scratchkit-test/go:bookworm"), "docker.io/scratchkit-test/go:bookworm");
        assert_eq!(normalize("ghcr.io/a/b:1"), "ghcr.io/a/b:1");
        assert_eq!(normalize("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(normalize("x@sha256:ab"), "docker.io/library/x@sha256:ab");
        assert_eq!(pin("golang:1.23", "sha256:cd"), "docker.io/library/golang:1.23@sha256:cd");
    }
}

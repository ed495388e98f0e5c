//! Docker image references: the grammar a spec's image names are checked against (in `plan`), and the
//! normalized form BuildKit's `docker-image://` sources want (`golang:1.23` → `docker.io/library/golang:1.23`).

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

/// Checks a reference against the distribution grammar: `[domain[:port]/]path[:tag][@algo:hex]`, path
/// components lower-case `[a-z0-9]` joined by `.`, `_`, `__` or dashes. Returns why it is not one.
pub fn check(reference: &str) -> Result<(), String> {
    if reference.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = reference.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("it contains {:?}", c));
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    if let Some(d) = digest {
        let (algo, hex) = d.split_once(':').ok_or("a digest is `sha256:` and 64 hex digits")?;
        let hex_ok = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let len_ok = if algo == "sha256" { hex.len() == 64 } else { hex.len() >= 32 };
        if algo.is_empty() || !algo.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) || !hex_ok || !len_ok
        {
            return Err(format!("`@{d}` is not a digest (`sha256:` and 64 lower-case hex digits)"));
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let first_ok = t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !first_ok || t.len() > 128 || !t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
            return Err(format!("`:{t}` is not a tag (letters, digits, `_`, `.`, `-`, at most 128)"));
        }
    }
    if name.len() > 255 {
        return Err("the name is longer than 255 characters".into());
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    if parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost") {
        let (host, port) = first.split_once(':').unwrap_or((first, ""));
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !host_ok || (first.contains(':') && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))) {
            return Err(format!("`{first}` is not a registry host"));
        }
        parts.remove(0);
    }
    for p in parts {
        if !component_ok(p) {
            return Err(if p.chars().any(|c| c.is_ascii_uppercase()) {
                format!("`{p}` has upper-case letters; repository names are lower-case")
            } else {
                format!("`{p}` is not a repository name component")
            });
        }
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn component_ok(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => i += if b.get(i + 1) == Some(&b'_') { 2 } else { 1 },
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
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

    #[test]
    fn checks_the_reference_grammar() {
        let digest = format!("sha256:{}", "a".repeat(64));
        for ok in [
            "golang:1.23",
            "golang",
            "scratchkit-test/go:bookworm",
            "ghcr.io/a/b_c/d-e:1",
            "localhost:5000/x",
            "My.Registry:443/x/y",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
        assert!(check(&format!("golang:1.23@{digest}")).is_ok());
        for bad in [
            "",
            "UPPER/Case",
            "golang 1.23",
            "a@sha256:short",
            "golang:",
            ":1",
            "a//b",
            "-a",
            "a-",
            "a/b:c:d",
            "a___b",
            "a..b",
            "reg:x/a",
            "a:b\n",
        ] {
            assert!(check(bad).is_err(), "{bad:?} passed");
        }
    }
}

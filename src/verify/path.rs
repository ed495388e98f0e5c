//! Paths inside the builder, as the loader and dpkg see them.

/// Folds `.` and `..` lexically, as the loader does (`$ORIGIN/../lib` → `/app/lib`; `..` at `/` stays `/`).
/// Unlike a spec path, a path found in a binary cannot be refused, so it is clamped rather than an error.
pub fn fold(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_dots_and_clamps_at_the_root() {
        assert_eq!(fold("/app/bin/../lib"), "/app/lib");
        assert_eq!(fold("/usr/lib/x/../y/./z"), "/usr/lib/y/z");
        assert_eq!(fold("/../../etc//passwd"), "/etc/passwd");
        assert_eq!(fold("lib"), "/lib");
        assert_eq!(fold("/"), "/");
    }
}

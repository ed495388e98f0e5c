//! Newtypes that cannot hold an invalid value: absolute paths that stay inside the root, octal modes.

use std::fmt;

/// An absolute, normalized path inside the image or builder root: starts with `/`, has no `.`/`..`
/// components, no doubled or trailing slashes (except the root itself).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AbsPath(String);

#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    Relative,
    /// More `..` components than there are directories above them.
    Escapes,
    Empty,
    /// NUL, newline or another control character: no file name a build should produce has one.
    Control(char),
    /// Longer than Linux takes (`ENAMETOOLONG`): the whole path, in bytes.
    TooLong(usize),
    /// A component longer than a file name may be, in bytes.
    NameTooLong(usize),
}

/// The longest path Linux takes: `PATH_MAX` (4096) counts the closing NUL.
pub const MAX_PATH: usize = 4095;
/// The longest file name (`NAME_MAX`).
pub const MAX_NAME: usize = 255;

impl AbsPath {
    pub fn root() -> Self {
        AbsPath("/".into())
    }

    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        if !text.starts_with('/') {
            return Err(PathError::Relative);
        }
        Ok(AbsPath(format!("/{}", normalize_components(text)?.join("/"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn join(&self, rel: &str) -> Result<Self, PathError> {
        AbsPath::parse(&format!("{}/{}", self.0.trim_end_matches('/'), rel))
    }

    pub fn file_name(&self) -> Option<&str> {
        self.0.rsplit('/').next().filter(|s| !s.is_empty())
    }

    pub fn parent(&self) -> Option<AbsPath> {
        let idx = self.0.rfind('/')?;
        if self.0 == "/" {
            return None;
        }
        Some(AbsPath(if idx == 0 { "/".into() } else { self.0[..idx].to_string() }))
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &AbsPath) -> bool {
        other.0 == "/" || self.0 == other.0 || self.0.starts_with(&format!("{}/", other.0))
    }
}

/// A path relative to the build context root, normalized, never escaping it (`""` is the root).
pub fn context_path(text: &str) -> Result<String, PathError> {
    Ok(normalize_components(text)?.join("/"))
}

/// `.` and empty components dropped, `..` removing the component before it (`/opt/x/..` is `/opt`);
/// a `..` with nothing left to remove escapes the root.
fn normalize_components(text: &str) -> Result<Vec<&str>, PathError> {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(PathError::Control(c));
    }
    let parts = lexical_components(text, AtRoot::Escapes).ok_or(PathError::Escapes)?;
    if let Some(long) = parts.iter().find(|p| p.len() > MAX_NAME) {
        return Err(PathError::NameTooLong(long.len()));
    }
    // As an absolute path (`/a/b`): where a context path lands in the image when `to` is left out.
    let whole: usize = parts.iter().map(|p| p.len() + 1).sum();
    if whole > MAX_PATH {
        return Err(PathError::TooLong(whole));
    }
    Ok(parts)
}

/// What a `..` with nothing left to remove does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AtRoot {
    /// It escapes the root: a spec path that does this is refused.
    Escapes,
    /// It stays at the root, as the kernel and the loader treat `/..`.
    Stays,
}

/// The one lexical walk over a path's components: `None` when a `..` escapes and that is refused.
fn lexical_components(text: &str, at_root: AtRoot) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && at_root == AtRoot::Escapes {
                    return None;
                }
            }
            c => parts.push(c),
        }
    }
    Some(parts)
}

/// Folds `.` and `..` lexically, as the loader does (`$ORIGIN/../lib` → `/app/lib`; `..` at `/` stays `/`).
/// Unlike a spec path, a path found in a binary or a package list cannot be refused, so it is clamped.
pub fn fold_clamped(path: &str) -> String {
    format!("/{}", lexical_components(path, AtRoot::Stays).unwrap_or_default().join("/"))
}

/// True when the last component of `text` names a directory: `/opt/`, `/opt/.`, `/opt/x/..`, `.`.
pub fn names_directory(text: &str) -> bool {
    text.ends_with('/') || matches!(text.rsplit('/').next(), Some("." | ".."))
}

impl fmt::Display for AbsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Permission bits including setuid/setgid/sticky, parsed from an octal string such as `"0755"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mode(u32);

impl Mode {
    pub const fn new(bits: u32) -> Self {
        Mode(bits & 0o7777)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let digits = text.strip_prefix("0o").unwrap_or(text);
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        let bits = u32::from_str_radix(digits, 8).ok()?;
        (bits <= 0o7777).then_some(Mode(bits))
    }

    pub fn bits(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn folding_a_loader_path_clamps_at_the_root() {
        assert_eq!(fold_clamped("/app/bin/../lib"), "/app/lib");
        assert_eq!(fold_clamped("/usr/lib/x/../y/./z"), "/usr/lib/y/z");
        assert_eq!(fold_clamped("/../../etc//passwd"), "/etc/passwd");
        assert_eq!(fold_clamped("lib"), "/lib");
        assert_eq!(fold_clamped("/"), "/");
    }

    use super::*;

    #[test]
    fn absolute_paths_normalize_and_refuse_escapes() {
        assert_eq!(AbsPath::parse("/a//b/./c/").unwrap().as_str(), "/a/b/c");
        assert_eq!(AbsPath::parse("/").unwrap().as_str(), "/");
        assert_eq!(AbsPath::parse("a/b"), Err(PathError::Relative));
        assert_eq!(AbsPath::parse("/a/../../etc"), Err(PathError::Escapes));
        assert_eq!(AbsPath::parse("/opt/x/..").unwrap().as_str(), "/opt");
        assert_eq!(AbsPath::parse("/opt/.").unwrap().as_str(), "/opt");
        assert_eq!(AbsPath::parse("/a\0b"), Err(PathError::Control('\0')));
        assert_eq!(AbsPath::parse("/a\nb"), Err(PathError::Control('\n')));
        assert_eq!(context_path("a/../b").unwrap(), "b");
        assert_eq!(context_path("../b"), Err(PathError::Escapes));
        // Linux's limits, on the normalized path: 255 bytes a name, 4095 in all.
        let name = "n".repeat(255);
        let deep = format!("/{}", vec![name.as_str(); 15].join("/")); // 15 × 256 = 3840 bytes
        assert_eq!(AbsPath::parse(&deep).unwrap().as_str().len(), 3840);
        assert_eq!(AbsPath::parse(&format!("/{name}x")), Err(PathError::NameTooLong(256)));
        assert_eq!(AbsPath::parse(&format!("{deep}/{}", "m".repeat(254))).unwrap().as_str().len(), 4095);
        assert_eq!(AbsPath::parse(&format!("{deep}/{}", "m".repeat(255))), Err(PathError::TooLong(4096)));
        assert_eq!(
            AbsPath::parse(&format!("{deep}/{}/..", "m".repeat(255))).unwrap().as_str().len(),
            3840,
            "`..` folded first"
        );
        assert_eq!(context_path(&format!("{}/{}", &deep[1..], "m".repeat(255))), Err(PathError::TooLong(4096)));
        assert!(
            names_directory("/opt/.")
                && names_directory("/opt/x/..")
                && names_directory("/opt/")
                && !names_directory("/opt")
        );
        assert_eq!(AbsPath::parse("/a/b").unwrap().parent().unwrap().as_str(), "/a");
        assert_eq!(AbsPath::parse("/a").unwrap().parent().unwrap().as_str(), "/");
        assert!(AbsPath::parse("/a/b").unwrap().starts_with(&AbsPath::parse("/a").unwrap()));
        assert!(!AbsPath::parse("/ab").unwrap().starts_with(&AbsPath::parse("/a").unwrap()));
    }

    #[test]
    fn modes_are_octal_only() {
        assert_eq!(Mode::parse("0755").unwrap().bits(), 0o755);
        assert_eq!(Mode::parse("1777").unwrap().bits(), 0o1777);
        assert_eq!(Mode::parse("0o644").unwrap().bits(), 0o644);
        assert!(Mode::parse("0999").is_none());
        assert!(Mode::parse("rwx").is_none());
        assert!(Mode::parse("17777").is_none());
        assert_eq!(Mode::new(0o1777).to_string(), "1777");
    }
}

use super::state::State;

/// One step of a FileOp. Owners are numeric (`uid`, `gid`), modes are permission bits, and times are
/// Unix nanoseconds; `None` keeps BuildKit's default (root, the source mode, the build time).
#[derive(Clone, Debug)]
pub enum FileAction {
    Mkdir { path: String, mode: u32, make_parents: bool, owner: Option<(u32, u32)>, timestamp: Option<i64> },
    Mkfile { path: String, mode: u32, data: Vec<u8>, owner: Option<(u32, u32)>, timestamp: Option<i64> },
    Copy { from: State, src: String, dest: String, options: CopyOptions },
}

#[derive(Clone, Debug, Default)]
pub struct CopyOptions {
    pub owner: Option<(u32, u32)>,
    /// Permission bits to set (special bits such as sticky included); `None` keeps the source's.
    pub mode: Option<u32>,
    pub follow_symlinks: bool,
    pub contents_only: bool,
    pub create_dest_path: bool,
    pub allow_wildcard: bool,
    /// With `allow_wildcard`: a pattern that matches nothing copies nothing instead of failing.
    pub allow_empty_wildcard: bool,
    pub timestamp: Option<i64>,
    /// Only these paths below the source are copied (patterns relative to it).
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
}

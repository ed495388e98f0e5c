//! Users and groups: the rows of /etc/passwd and /etc/group, and resolving `owner:` and `user:` names.
//!
//! Every field written into those files is a type that can only hold a value that cannot break a row:
//! [`AccountName`] (useradd's default rule) and [`PasswdPath`] (an absolute, clean path without `:` or
//! control characters). They are checked after build-arg substitution, so `--build-arg` cannot forge a row.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::paths::{AbsPath, PathError};

/// A user or group name as useradd's default `NAME_REGEX` allows: `^[a-z_][a-z0-9_-]*[$]?$`, 1 to 32
/// characters. It can hold no `:`, `,`, newline or anything else that would split a row.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

impl AccountName {
    pub const MAX_LEN: usize = 32;

    pub fn parse(text: &str) -> Result<Self, String> {
        let body = text.strip_suffix('$').unwrap_or(text);
        let mut chars = body.chars();
        let valid = matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !valid {
            return Err(
                "use lower-case letters, digits, `_` and `-`, starting with a letter or `_` (useradd's rule)".into()
            );
        }
        if text.len() > Self::MAX_LEN {
            return Err(format!("a name has at most {} characters; this one has {}", Self::MAX_LEN, text.len()));
        }
        Ok(AccountName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A home directory or login shell: an absolute, normalized path with no `:` (the field separator) and
/// no control character (a newline would start a new row).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PasswdPath(AbsPath);

#[derive(Debug, PartialEq, Eq)]
pub enum PasswdPathError {
    Path(PathError),
    Colon,
}

impl PasswdPath {
    pub fn parse(text: &str) -> Result<Self, PasswdPathError> {
        let path = AbsPath::parse(text).map_err(PasswdPathError::Path)?;
        if path.as_str().contains(':') {
            return Err(PasswdPathError::Colon);
        }
        Ok(PasswdPath(path))
    }

    pub fn path(&self) -> &AbsPath {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for PasswdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Directories of the root filesystem that must not become a user's home (which is chowned to the user
/// and set to 0700), and trees where nothing can be a home.
const SYSTEM_DIRS: &str = "/ /bin /boot /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /root /run /sbin /srv /tmp /usr /usr/bin \
    /usr/include /usr/lib /usr/lib32 /usr/lib64 /usr/libexec /usr/local /usr/local/bin /usr/local/lib /usr/local/sbin /usr/local/share /usr/sbin \
    /usr/share /var /var/cache /var/lib /var/log /var/run /var/tmp";
const SYSTEM_TREES: &[&str] = &["/proc", "/sys", "/dev", "/etc", "/usr/share/zoneinfo"];

/// True for `/`, `/etc`, `/usr/bin`, anything under `/proc`… : a directory a home must not be.
pub fn is_system_dir(path: &AbsPath) -> bool {
    SYSTEM_DIRS.split_whitespace().any(|d| d == path.as_str())
        || SYSTEM_TREES.iter().any(|t| path.starts_with(&AbsPath::parse(t).expect("constant path")))
}

/// Where a user without a home points: not created, shared by any number of users.
pub const NO_HOME: &str = "/nonexistent";

/// One account in the image. Root is always the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: AccountName,
    pub uid: u32,
    pub gid: u32,
    pub home: PasswdPath,
    pub shell: PasswdPath,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: AccountName,
    pub gid: u32,
    pub members: Vec<AccountName>,
}

/// The image's user database, as written to /etc/passwd and /etc/group, with name indexes so resolving
/// an owner costs the same whatever the number of users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accounts {
    users: Vec<Account>,
    groups: Vec<GroupEntry>,
    user_index: HashMap<String, usize>,
    uid_index: HashMap<u32, usize>,
    group_index: HashMap<String, u32>,
}

/// A numeric owner: what BuildKit's file ops and the image config's `User` take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    pub const ROOT: Owner = Owner { uid: 0, gid: 0 };
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

fn constant_name(s: &str) -> AccountName {
    AccountName::parse(s).expect("constant name")
}

fn constant_path(s: &str) -> PasswdPath {
    PasswdPath::parse(s).expect("constant path")
}

pub fn root() -> Account {
    Account {
        name: constant_name("root"),
        uid: 0,
        gid: 0,
        home: constant_path("/root"),
        shell: constant_path("/sbin/nologin"),
    }
}

/// The default non-root user, as distroless has it.
pub fn nonroot(uid: u32) -> Account {
    Account {
        name: constant_name("nonroot"),
        uid,
        gid: uid,
        home: constant_path("/home/nonroot"),
        shell: constant_path("/sbin/nologin"),
    }
}

/// `nobody` (65534), as in Debian and distroless: no home, no shell.
pub fn nobody() -> Account {
    Account {
        name: constant_name("nobody"),
        uid: super::NOBODY_UID,
        gid: super::NOBODY_UID,
        home: constant_path(NO_HOME),
        shell: constant_path("/sbin/nologin"),
    }
}

/// The group of `nobody`, with Debian's name.
pub fn nogroup() -> GroupEntry {
    GroupEntry { name: constant_name("nogroup"), gid: super::NOBODY_UID, members: Vec::new() }
}

impl Accounts {
    /// `users` must start with root; names and uids are expected to be unique (the planner refuses
    /// duplicates), and the first of a name or uid wins otherwise.
    pub fn new(users: Vec<Account>, groups: Vec<GroupEntry>) -> Self {
        let mut user_index = HashMap::new();
        let mut uid_index = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            user_index.entry(u.name.as_str().to_string()).or_insert(i);
            uid_index.entry(u.uid).or_insert(i);
        }
        let mut group_index = HashMap::new();
        for g in &groups {
            group_index.entry(g.name.as_str().to_string()).or_insert(g.gid);
        }
        Accounts { users, groups, user_index, uid_index, group_index }
    }

    pub fn users(&self) -> &[Account] {
        &self.users
    }

    pub fn groups(&self) -> &[GroupEntry] {
        &self.groups
    }

    pub fn passwd(&self) -> String {
        self.users
            .iter()
            .map(|u| format!("{}:x:{}:{}:{}:{}:{}\n", u.name, u.uid, u.gid, u.name, u.home, u.shell))
            .collect()
    }

    pub fn group(&self) -> String {
        self.groups
            .iter()
            .map(|g| {
                format!(
                    "{}:x:{}:{}\n",
                    g.name,
                    g.gid,
                    g.members.iter().map(AccountName::as_str).collect::<Vec<_>>().join(",")
                )
            })
            .collect()
    }

    pub fn user(&self, name: &str) -> Option<&Account> {
        self.user_index.get(name).map(|&i| &self.users[i])
    }

    fn group_gid(&self, name: &str) -> Option<u32> {
        self.group_index.get(name).copied()
    }

    /// Resolves `name`, `name:group`, `uid` or `uid:gid` against this database.
    pub fn resolve(&self, text: &str) -> Result<Owner, Unknown> {
        let (user, group) = match text.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (text, None),
        };
        let (uid, primary_gid) = match parse_id(user) {
            Ok(uid) => (uid, self.uid_index.get(&uid).map_or(uid, |&i| self.users[i].gid)),
            Err(IdError::OutOfRange) => return Err(Unknown::OutOfRange("uid", user.to_string())),
            Err(IdError::NotANumber) => match self.user(user) {
                Some(a) => (a.uid, a.gid),
                None => return Err(Unknown::User(user.to_string())),
            },
        };
        let gid = match group {
            None => primary_gid,
            Some(g) => match parse_id(g) {
                Ok(gid) => gid,
                Err(IdError::OutOfRange) => return Err(Unknown::OutOfRange("gid", g.to_string())),
                Err(IdError::NotANumber) => self.group_gid(g).ok_or_else(|| Unknown::Group(g.to_string()))?,
            },
        };
        Ok(Owner { uid, gid })
    }

    /// Names of users, for "did you mean" hints.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.users.iter().map(|u| u.name.as_str())
    }

    /// Names of groups, for "did you mean" hints.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(|g| g.name.as_str())
    }

    /// Home directories, root's `/root` included, which the image gets with mode 0700 and their user as owner.
    pub fn homes(&self) -> Vec<&Account> {
        self.users.iter().filter(|u| u.home.as_str() != "/" && u.home.as_str() != NO_HOME).collect()
    }
}

/// Why an owner does not resolve: a name the image's accounts do not have, or a number that is no id.
#[derive(Debug, PartialEq, Eq)]
pub enum Unknown {
    User(String),
    Group(String),
    /// `uid` or `gid`, and the number as written.
    OutOfRange(&'static str, String),
}

/// Why a uid or gid was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum IdError {
    /// A whole number (`-1` too), but not a valid id.
    OutOfRange,
    NotANumber,
}

/// A uid or gid: a whole number from 0 to 4294967294 (4294967295 is `(uid_t)-1`, "no user", which
/// `chown` reads as "leave it"). The one rule for user entries, groups and owners.
pub fn parse_id(text: &str) -> Result<u32, IdError> {
    // `-1` is a number too, just not an id: it gets the range, not "not a number".
    let digits = text.strip_prefix('-').unwrap_or(text);
    let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(n) if n != u32::MAX => Ok(n),
        _ if numeric => Err(IdError::OutOfRange),
        _ => Err(IdError::NotANumber),
    }
}

/// The hint for an id out of range.
pub fn id_range_hint(what: &str) -> String {
    format!("a {what} is from 0 to 4294967294; Linux images use 1000-60000 or 65532")
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unknown::User(u) => write!(f, "no user named `{u}`"),
            Unknown::Group(g) => write!(f, "no group named `{g}`"),
            Unknown::OutOfRange(what, n) => write!(f, "{what} {n} is out of range"),
        }
    }
}

/// Every user gets a primary group of its own name unless a listed group already has its gid.
pub fn primary_groups(users: &[Account], extra: &[GroupEntry]) -> Vec<GroupEntry> {
    let listed: HashSet<u32> = extra.iter().map(|g| g.gid).collect();
    let mut seen = HashSet::new();
    let mut groups: Vec<GroupEntry> = users
        .iter()
        .filter(|u| !listed.contains(&u.gid) && seen.insert(u.gid))
        .map(|u| GroupEntry { name: u.name.clone(), gid: u.gid, members: Vec::new() })
        .collect();
    groups.extend(extra.iter().cloned());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Accounts {
        let users = vec![root(), nonroot(65532)];
        let extra = vec![GroupEntry { name: constant_name("app"), gid: 2000, members: vec![constant_name("nonroot")] }];
        let groups = primary_groups(&users, &extra);
        Accounts::new(users, groups)
    }

    #[test]
    fn writes_passwd_and_group() {
        let a = db();
        assert_eq!(
            a.passwd(),
            "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(a.group(), "root:x:0:\nnonroot:x:65532:\napp:x:2000:nonroot\n");
    }

    #[test]
    fn resolves_owners() {
        let a = db();
        assert_eq!(a.resolve("nonroot").unwrap(), Owner { uid: 65532, gid: 65532 });
        assert_eq!(a.resolve("nonroot:app").unwrap(), Owner { uid: 65532, gid: 2000 });
        assert_eq!(a.resolve("1000:1000").unwrap(), Owner { uid: 1000, gid: 1000 });
        assert_eq!(a.resolve("0").unwrap(), Owner::ROOT);
        assert!(a.resolve("nobody").is_err());
        assert_eq!(a.resolve("root:wheel"), Err(Unknown::Group("wheel".into())));
        // Numbers out of the id range are refused as user entries' are, not taken or looked up as names.
        assert_eq!(a.resolve("4294967295"), Err(Unknown::OutOfRange("uid", "4294967295".into())));
        assert_eq!(a.resolve("-1"), Err(Unknown::OutOfRange("uid", "-1".into())));
        assert_eq!(a.resolve("0:4294967296"), Err(Unknown::OutOfRange("gid", "4294967296".into())));
        assert_eq!(a.resolve("4294967294:0").unwrap(), Owner { uid: 4294967294, gid: 0 });
    }

    #[test]
    fn names_follow_useradd() {
        for ok in ["app", "_svc", "a-b_c9", "machine$", "abcdefghijklmnopqrstuvwxyz012345"] {
            assert!(AccountName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "App",
            "9app",
            "-app",
            "a:b",
            "a\nroot",
            "a,b",
            "a b",
            "a$b",
            "$",
            "abcdefghijklmnopqrstuvwxyz0123456",
            "é",
        ] {
            assert!(AccountName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwd_paths_cannot_split_a_row() {
        assert_eq!(PasswdPath::parse("/home//a/").unwrap().as_str(), "/home/a");
        assert_eq!(PasswdPath::parse("/home/a:x:0:0::/:/bin/sh"), Err(PasswdPathError::Colon));
        assert!(matches!(
            PasswdPath::parse("/home/a\nroot2::0:0::/:/bin/sh"),
            Err(PasswdPathError::Path(PathError::Control(_)))
        ));
        assert!(matches!(PasswdPath::parse("/home/a\0"), Err(PasswdPathError::Path(PathError::Control(_)))));
        assert!(matches!(PasswdPath::parse("home"), Err(PasswdPathError::Path(PathError::Relative))));
    }

    #[test]
    fn system_directories_are_not_homes() {
        for p in ["/", "/etc", "/usr/bin", "/proc", "/proc/1", "/tmp", "/dev/shm", "/etc/app"] {
            assert!(is_system_dir(&AbsPath::parse(p).unwrap()), "{p}");
        }
        for p in ["/home/app", "/var/lib/app", "/data", "/opt/app"] {
            assert!(!is_system_dir(&AbsPath::parse(p).unwrap()), "{p}");
        }
    }
}

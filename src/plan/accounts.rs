//! Users and groups: the rows of /etc/passwd and /etc/group, and resolving `owner:` and `user:` names.

use std::collections::BTreeMap;

/// One account in the image. Root is always the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// The image's user database, as written to /etc/passwd and /etc/group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accounts {
    pub users: Vec<Account>,
    pub groups: Vec<GroupEntry>,
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

pub fn root() -> Account {
    Account { name: "root".into(), uid: 0, gid: 0, home: "/root".into(), shell: "/sbin/nologin".into() }
}

/// `nobody` (65534), as in Debian and distroless: no home, no shell.
pub fn nobody() -> Account {
    Account { name: "nobody".into(), uid: super::NOBODY_UID, gid: super::NOBODY_UID, home: "/nonexistent".into(), shell: "/sbin/nologin".into() }
}

/// The group of `nobody`, with Debian's name.
pub fn nogroup() -> GroupEntry {
    GroupEntry { name: "nogroup".into(), gid: super::NOBODY_UID, members: Vec::new() }
}

impl Accounts {
    pub fn passwd(&self) -> String {
        self.users.iter().map(|u| format!("{}:x:{}:{}:{}:{}:{}\n", u.name, u.uid, u.gid, u.name, u.home, u.shell)).collect()
    }

    pub fn group(&self) -> String {
        self.groups.iter().map(|g| format!("{}:x:{}:{}\n", g.name, g.gid, g.members.join(","))).collect()
    }

    pub fn user(&self, name: &str) -> Option<&Account> {
        self.users.iter().find(|u| u.name == name)
    }

    fn group_gid(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|g| g.name == name).map(|g| g.gid)
    }

    /// Resolves `name`, `name:group`, `uid` or `uid:gid` against this database.
    pub fn resolve(&self, text: &str) -> Result<Owner, String> {
        let (user, group) = match text.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (text, None),
        };
        let (uid, primary_gid) = match user.parse::<u32>() {
            Ok(uid) => (uid, self.users.iter().find(|u| u.uid == uid).map_or(uid, |u| u.gid)),
            Err(_) => match self.user(user) {
                Some(a) => (a.uid, a.gid),
                None => return Err(format!("no user named `{user}`")),
            },
        };
        let gid = match group {
            None => primary_gid,
            Some(g) => match g.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => self.group_gid(g).ok_or_else(|| format!("no group named `{g}`"))?,
            },
        };
        Ok(Owner { uid, gid })
    }

    /// Names of users, for "did you mean" hints.
    pub fn names(&self) -> Vec<&str> {
        self.users.iter().map(|u| u.name.as_str()).collect()
    }

    /// Home directories, root's `/root` included, which the image gets with mode 0700 and their user as owner.
    pub fn homes(&self) -> Vec<&Account> {
        self.users.iter().filter(|u| u.home != "/" && u.home != "/nonexistent").collect()
    }
}

/// Every user gets a primary group of its own name unless a listed group already has its gid.
pub fn primary_groups(users: &[Account], extra: &[GroupEntry]) -> Vec<GroupEntry> {
    let mut by_gid: BTreeMap<u32, GroupEntry> = BTreeMap::new();
    let mut order = Vec::new();
    for u in users {
        if !by_gid.contains_key(&u.gid) && !extra.iter().any(|g| g.gid == u.gid) {
            by_gid.insert(u.gid, GroupEntry { name: u.name.clone(), gid: u.gid, members: Vec::new() });
            order.push(u.gid);
        }
    }
    let mut groups: Vec<GroupEntry> = order.into_iter().filter_map(|gid| by_gid.remove(&gid)).collect();
    groups.extend(extra.iter().cloned());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Accounts {
        let users = vec![root(), Account { name: "nonroot".into(), uid: 65532, gid: 65532, home: "/home/nonroot".into(), shell: "/sbin/nologin".into() }];
        let extra = vec![GroupEntry { name: "app".into(), gid: 2000, members: vec!["nonroot".into()] }];
        let groups = primary_groups(&users, &extra);
        Accounts { users, groups }
    }

    #[test]
    fn writes_passwd_and_group() {
        let a = db();
        assert_eq!(a.passwd(), "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
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
        assert!(a.resolve("root:wheel").is_err());
    }
}

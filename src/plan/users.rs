//! `rootfs.users[]`, `rootfs.groups[]`: the accounts, their homes, and owners named by account.

use crate::rules::codes::*;
use std::collections::{HashMap, HashSet};

use super::accounts::{
    self, is_system_dir, primary_groups, Account, AccountName, Accounts, GroupEntry, IdError, Owner, PasswdPath,
    PasswdPathError, Unknown, NO_HOME,
};
use super::build::Planner;
use super::paths::AbsPath;
use super::values::*;
use super::*;
use crate::diag::{did_you_mean, Span};
use crate::spec::{self, Str};

/// The hint for a name no account has: a suggestion (when `suggest`), and some of the names there are.
pub(super) fn name_hint<'a, I: Iterator<Item = &'a str>>(
    name: &str,
    what: &str,
    place: &str,
    suggest: bool,
    names: impl Fn() -> I,
    count: usize,
) -> String {
    let listed = list_some(names(), count);
    match if suggest { did_you_mean(name, names()) } else { None } {
        // `resolve` and the name lists agree, so a suggestion is never the name itself.
        Some(n) => format!("did you mean `{n}`? {what} are: {listed}"),
        _ => format!("define it under {place}, or write a number; {what} are: {listed}"),
    }
}

impl Planner {
    pub(super) fn accounts(&mut self, rootfs: &spec::Rootfs) -> Accounts {
        let users = self.users(rootfs);
        let (extra, extra_spans) = self.groups(rootfs, &users);
        let groups = primary_groups(&users, &extra);
        self.group_clashes(&groups, extra.len(), &extra_spans);
        Accounts::new(users, groups)
    }

    /// root, nobody, then the listed users (or `nonroot` when none are listed), each valid and unique.
    fn users(&mut self, rootfs: &spec::Rootfs) -> Vec<Account> {
        // root and nobody are in every image, listed or not.
        let mut users = vec![accounts::root(), accounts::nobody()];
        let listed: Vec<(Account, Span)> = match &rootfs.users {
            None => vec![(accounts::nonroot(NONROOT_UID), Span::default())],
            Some(list) => list.value.iter().filter_map(|u| self.user(u).map(|a| (a, u.span))).collect(),
        };
        let mut uids: HashMap<u32, AccountName> = users.iter().map(|u| (u.uid, u.name.clone())).collect();
        let mut names: HashSet<AccountName> = users.iter().map(|u| u.name.clone()).collect();
        let mut homes: HashMap<AbsPath, AccountName> = HashMap::new();
        let mut home_spans: Vec<(AbsPath, u32, Span)> = Vec::new();
        for (u, span) in listed {
            if u.name.as_str() == "root" && u.uid == 0 {
                continue; // root is always present; listing it is harmless
            }
            if u.name.as_str() == "nobody" || u.uid == NOBODY_UID {
                self.error(
                    SK248,
                    span,
                    format!("user `{}` (uid {}) collides with `nobody` (uid {NOBODY_UID}), which every image has", u.name, u.uid),
                    "remove this entry (to run as nobody, set `image.user: nobody`), or give the user another name and uid",
                );
                continue;
            }
            if let Some(other) = uids.get(&u.uid) {
                self.error(
                    SK249,
                    span,
                    format!("users `{other}` and `{}` share uid {}", u.name, u.uid),
                    "give each user its own uid",
                );
                self.failed_users.insert(u.name.to_string());
                continue;
            }
            if !names.insert(u.name.clone()) {
                self.error(SK250, span, format!("user `{}` is listed twice", u.name), "keep one entry per user name");
                continue;
            }
            if u.home.as_str() != NO_HOME {
                if let Some(other) = homes.get(u.home.path()) {
                    self.error(
                        SK251,
                        span,
                        format!("users `{other}` and `{}` share the home `{}`", u.name, u.home),
                        format!("a home belongs to one user (it is owned by it, mode 0700); give `{}` its own, or `home: {NO_HOME}`", u.name),
                    );
                    self.failed_users.insert(u.name.to_string());
                    continue;
                }
                homes.insert(u.home.path().clone(), u.name.clone());
            }
            uids.insert(u.uid, u.name.clone());
            home_spans.push((u.home.path().clone(), u.uid, span));
            users.push(u);
        }
        self.nested_homes(&users, &home_spans);
        users
    }

    /// `nogroup` and the listed groups, with where each is written.
    fn groups(&mut self, rootfs: &spec::Rootfs, users: &[Account]) -> (Vec<GroupEntry>, Vec<Span>) {
        let user_names: HashSet<&str> = users.iter().map(|u| u.name.as_str()).collect();
        // nogroup (65534) is in every image, like nobody.
        let mut extra = vec![accounts::nogroup()];
        let mut extra_spans = vec![Span::default()];
        let mut gids: HashSet<u32> = users.iter().map(|u| u.gid).collect();
        for g in &rootfs.groups {
            let (Some(name), Some(gid)) = (&g.name, &g.gid) else {
                self.error(SK252, g.span, "a group needs `name` and `gid`", "write `{name: app, gid: 2000}`");
                continue;
            };
            let Some(name) = self.account_name(name, "group") else { continue };
            let Some(gid_num) = self.id(gid, "gid") else { continue };
            if !gids.insert(gid_num) {
                self.error(SK253, gid.span, format!("gid {gid_num} is already used"), "give each group its own gid");
                continue;
            }
            let mut members = Vec::new();
            for s in &g.members {
                let Some(m) = self.account_name(s, "group member") else { continue };
                if user_names.contains(m.as_str()) {
                    members.push(m);
                } else if !self.failed_users.contains(m.as_str()) {
                    self.error(
                        SK254,
                        s.span,
                        format!("group member `{m}` is not a user"),
                        "add it to `rootfs.users` or remove it",
                    );
                }
            }
            extra.push(GroupEntry { name, gid: gid_num, members });
            extra_spans.push(g.name.as_ref().map_or(g.span, |n| n.span));
        }
        (extra, extra_spans)
    }

    /// Two groups of one name: a listed group may clash with a user's primary group or another listed one.
    /// `groups` is the primary groups, then the `extra` ones written at `extra_spans`.
    fn group_clashes(&mut self, groups: &[GroupEntry], extra: usize, extra_spans: &[Span]) {
        let primary = groups.len() - extra;
        let primary_names: HashSet<&str> = groups[..primary].iter().map(|g| g.name.as_str()).collect();
        let mut group_names: HashMap<&str, u32> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            if let Some(other_gid) = group_names.insert(g.name.as_str(), g.gid) {
                let span = extra_spans.get(i.wrapping_sub(primary)).copied().unwrap_or_default();
                let why = if i >= primary && primary_names.contains(g.name.as_str()) {
                    format!("user `{}` already has a primary group of that name (gid {other_gid})", g.name)
                } else {
                    format!("it is already defined with gid {other_gid}")
                };
                self.error(
                    SK255,
                    span,
                    format!("group `{}` is defined twice: {why}", g.name),
                    "give each group its own name: each user has a group of its own name, and `nogroup` (65534) is always there",
                );
            }
        }
    }

    /// Homes are 0700: a home inside another user's home cannot be reached by its own user.
    pub(super) fn nested_homes(&mut self, users: &[Account], listed: &[(AbsPath, u32, Span)]) {
        let with_home: Vec<&Account> =
            users.iter().filter(|u| u.home.as_str() != NO_HOME && u.home.as_str() != "/").collect();
        for (home, uid, span) in listed.iter().filter(|(_, uid, _)| *uid != 0) {
            let outer = with_home.iter().find(|o| {
                o.uid != *uid && home.as_str().starts_with(&format!("{}/", o.home.as_str().trim_end_matches('/')))
            });
            if let Some(outer) = outer {
                let name = users.iter().find(|u| u.uid == *uid).map_or_else(String::new, |u| u.name.to_string());
                self.error(
                    SK256,
                    *span,
                    format!("the home of `{name}` (`{home}`) is inside the home of `{}`, which only `{}` may enter (mode 0700)", outer.name, outer.name),
                    format!("give `{name}` a home of its own, e.g. `home: /home/{name}`"),
                );
            }
        }
    }

    /// A user or group name after substitution, checked by useradd's rule.
    pub(super) fn account_name(&mut self, s: &Str, what: &str) -> Option<AccountName> {
        let text = self.text(s);
        match AccountName::parse(&text) {
            Ok(n) => Some(n),
            Err(why) => {
                self.error(SK257, s.span, format!("`{}` is not a valid {what} name", text.escape_debug()), why);
                None
            }
        }
    }

    /// A uid or gid: a whole number from 0 to 4294967294 (4294967295 is `(uid_t)-1`, "no user").
    pub(super) fn id(&mut self, s: &Str, what: &str) -> Option<u32> {
        let text = self.text(s);
        match accounts::parse_id(&text) {
            Ok(n) => Some(n),
            Err(IdError::OutOfRange) => {
                self.error(SK258, s.span, format!("{what} {text} is out of range"), accounts::id_range_hint(what));
                None
            }
            Err(IdError::NotANumber) => {
                self.error(
                    SK259,
                    s.span,
                    format!("{what} `{}` is not a number", text.escape_debug()),
                    format!("write the {what} as a whole number, e.g. 10001"),
                );
                None
            }
        }
    }

    /// A home or shell: after substitution an absolute path that cannot split an /etc/passwd row.
    pub(super) fn passwd_path(&mut self, s: &Str, what: &str) -> Option<PasswdPath> {
        let text = self.text(s);
        match PasswdPath::parse(&text) {
            Ok(p) => Some(p),
            Err(PasswdPathError::Path(e)) => {
                self.path_error(s.span, what, &text, e);
                None
            }
            Err(PasswdPathError::Colon) => {
                self.error(
                    SK260,
                    s.span,
                    format!("{what} `{}` contains `:`", text.escape_debug()),
                    "`:` separates the fields of /etc/passwd; choose a path without it",
                );
                None
            }
        }
    }

    pub(super) fn user(&mut self, u: &spec::User) -> Option<Account> {
        let Some(name) = &u.name else {
            self.error(SK261, u.span, "a user has no `name`", "write `{name: app, uid: 10001}`");
            return None;
        };
        let name = self.account_name(name, "user")?;
        let account = self.user_fields(u, name.clone());
        if account.is_none() {
            self.failed_users.insert(name.to_string());
        }
        account
    }

    /// The rest of a user entry, once its name is valid.
    pub(super) fn user_fields(&mut self, u: &spec::User, name: AccountName) -> Option<Account> {
        let Some(uid_s) = &u.uid else {
            self.error(
                SK262,
                u.span,
                format!("user `{name}` has no `uid`"),
                "add `uid: 10001` (any unused number above 999)",
            );
            return None;
        };
        let uid = self.id(uid_s, "uid")?;
        let gid = match &u.gid {
            Some(g) => self.id(g, "gid")?,
            None => uid,
        };
        let home = match &u.home {
            Some(h) => {
                let home = self.passwd_path(h, "home")?;
                if uid != 0 && is_system_dir(home.path()) {
                    self.error(
                        SK263,
                        h.span,
                        format!("home `{home}` is a system directory"),
                        format!(
                            "a home is owned by its user with mode 0700; write `/home/{name}`, or `{NO_HOME}` for none"
                        ),
                    );
                    return None;
                }
                home
            }
            None => PasswdPath::parse(&format!("/home/{name}")).expect("a valid name is a valid file name"),
        };
        let shell = match &u.shell {
            Some(s) => self.passwd_path(s, "shell")?,
            None => PasswdPath::parse("/sbin/nologin").expect("constant path"),
        };
        Some(Account { name, uid, gid, home, shell })
    }

    pub(super) fn owner(&mut self, s: &Str, accounts: &Accounts) -> Owner {
        let text = self.text(s);
        match accounts.resolve(&text) {
            Ok(o) => o,
            // That user's own entry already has the error.
            Err(Unknown::User(u) | Unknown::Group(u)) if self.failed_users.contains(&u) => Owner::ROOT,
            Err(why) => {
                // Suggestions cost a pass over the names each; the first few errors get them, which is
                // all a reader sees, so a spec with many bad owners stays linear.
                self.suggestions = self.suggestions.saturating_sub(1);
                let suggest = self.suggestions > 0;
                let hint = match &why {
                    Unknown::User(u) => {
                        name_hint(u, "users", "`rootfs.users`", suggest, || accounts.names(), accounts.users().len())
                    }
                    Unknown::Group(g) => name_hint(
                        g,
                        "groups",
                        "`rootfs.groups`",
                        suggest,
                        || accounts.group_names(),
                        accounts.groups().len(),
                    ),
                    Unknown::OutOfRange(what, _) => accounts::id_range_hint(what),
                };
                self.error(SK264, s.span, format!("owner `{}`: {why}", text.escape_debug()), hint);
                Owner::ROOT
            }
        }
    }
}

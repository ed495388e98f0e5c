//! What the rootfs pieces write, and what a `copy:` entry may not put over it.
//!
//! The application is the top layer: whatever it holds wins over the rootfs below. A copy onto
//! `/etc/passwd`, the CA bundle or a zone file would silently replace users, certificates or time
//! zones; a file copied onto `/etc` would hide everything the rootfs put there. Those are errors, with
//! the switch that turns the piece off. Copies *into* a directory the rootfs makes with a mode or owner
//! (`/tmp`, a home, a `rootfs.dirs` entry) are fine: the application layer makes that directory again
//! with the same mode and owner (see [`Claims::walk`]), so its parents do not turn into root's 0755.
//!
//! Every copy is checked against every claim by walking a trie of path components once per copy:
//! linear in the size of the spec, whatever the number of copies and claims.

use std::collections::HashMap;

use super::accounts::Owner;
use super::paths::{AbsPath, Mode};

/// How a rootfs piece owns its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The piece writes this file.
    File,
    /// The piece writes this directory and everything below it (the zone database).
    Tree,
    /// The piece makes this directory with a mode and owner that matter; what is below is free.
    Dir { mode: Mode, owner: Owner },
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub path: AbsPath,
    pub kind: Kind,
    /// What writes it, as the message names it: "`rootfs.users`", "the home of `app`".
    pub by: String,
    /// How to take the piece over on purpose.
    pub hint: String,
}

/// Where a copy destination meets the claims.
#[derive(Debug, PartialEq, Eq)]
pub enum Meets {
    /// Nothing the rootfs writes.
    Free,
    /// The destination is a claim's path.
    Equal(usize),
    /// The destination is below a claimed file or tree.
    Below(usize),
    /// The destination is a directory above a claim (the first claim below it).
    Above(usize),
}

#[derive(Default)]
pub struct Claims {
    pub claims: Vec<Claim>,
}

/// The claims as a trie of path components: node 0 is `/`.
struct Trie<'a> {
    children: HashMap<(usize, &'a str), usize>,
    /// The claim at each node, if any.
    claim: Vec<Option<usize>>,
    /// The first claim at or below each node.
    first_below: Vec<Option<usize>>,
}

fn components(path: &AbsPath) -> impl Iterator<Item = &str> {
    path.as_str().split('/').filter(|c| !c.is_empty())
}

impl Claims {
    pub fn add(&mut self, path: AbsPath, kind: Kind, by: impl Into<String>, hint: impl Into<String>) {
        self.claims.push(Claim { path, kind, by: by.into(), hint: hint.into() });
    }

    fn trie(&self) -> Trie<'_> {
        let mut t = Trie { children: HashMap::new(), claim: vec![None], first_below: vec![None] };
        for (i, c) in self.claims.iter().enumerate() {
            let mut node = 0;
            t.first_below[0].get_or_insert(i);
            for comp in components(&c.path) {
                let next = t.claim.len();
                node = *t.children.entry((node, comp)).or_insert(next);
                if node == next {
                    t.claim.push(None);
                    t.first_below.push(None);
                }
                t.first_below[node].get_or_insert(i);
            }
            // The first claim of a path wins: `rootfs.dirs: [/tmp]` and `rootfs.tmp` are both `/tmp`.
            t.claim[node].get_or_insert(i);
        }
        t
    }

    /// Each destination against the claims: what it meets, and the claimed directories (`Kind::Dir`)
    /// strictly above it, which the application layer must make again.
    pub fn walk<'d>(&self, dests: impl Iterator<Item = &'d AbsPath>) -> Vec<(Meets, Vec<usize>)> {
        let t = self.trie();
        dests
            .map(|dest| {
                let mut node = 0;
                let mut dirs = Vec::new();
                for comp in components(dest) {
                    if let Some(c) = t.claim[node] {
                        match self.claims[c].kind {
                            Kind::Dir { .. } => dirs.push(c),
                            Kind::File | Kind::Tree => return (Meets::Below(c), dirs),
                        }
                    }
                    match t.children.get(&(node, comp)) {
                        Some(&next) => node = next,
                        None => return (Meets::Free, dirs),
                    }
                }
                let meets = match (t.claim[node], t.first_below[node]) {
                    (Some(c), _) => Meets::Equal(c),
                    (None, Some(c)) => Meets::Above(c),
                    (None, None) => Meets::Free,
                };
                (meets, dirs)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> AbsPath {
        AbsPath::parse(s).unwrap()
    }

    #[test]
    fn a_destination_meets_the_claims_at_above_or_below_it() {
        let mut c = Claims::default();
        c.add(p("/etc/passwd"), Kind::File, "users", "");
        let dir = Kind::Dir { mode: Mode::new(0o1777), owner: Owner::ROOT };
        c.add(p("/tmp"), dir, "tmp", "");
        c.add(p("/usr/share/zoneinfo"), Kind::Tree, "timezones", "");
        c.add(p("/tmp/x/y"), dir, "dirs", "");
        let dests = [
            "/etc/passwd",
            "/etc/passwd/x",
            "/etc",
            "/",
            "/etc/app.conf",
            "/tmp",
            "/tmp/x/y/z",
            "/usr/share/zoneinfo/UTC",
            "/usr",
            "/opt/app",
        ]
        .map(p);
        let got = c.walk(dests.iter());
        let want = [
            (Meets::Equal(0), vec![]),
            (Meets::Below(0), vec![]),
            (Meets::Above(0), vec![]),
            (Meets::Above(0), vec![]),
            (Meets::Free, vec![]),
            (Meets::Equal(1), vec![]),
            (Meets::Free, vec![1, 3]),
            (Meets::Below(2), vec![]),
            (Meets::Above(2), vec![]),
            (Meets::Free, vec![]),
        ];
        assert_eq!(got, want);
    }
}

//! The probe (`lower::probe`) read back: which builder paths its copies hold, with BuildKit's include
//! pattern matching, so the fake answers reads of the probe as BuildKit would.

use scratchkit::proto::pb;

use crate::support::definitions::head;

/// One copy of the probe: the builder path it copies (its pattern read back), where the pattern starts
/// (`None`: a literal copy, which fails without the path), and its include and exclude patterns (those of
/// a directory whose entries are looked for by name are their names).
pub struct ProbeCopy {
    pub path: String,
    /// Where in the probe: `/N/<name>`, or `/N` for a directory whose entries are looked for by name.
    pub dest: String,
    pub from: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

pub fn probe_copies(def: &pb::Definition) -> Vec<ProbeCopy> {
    let Some(pb::op::Op::File(file)) = head(def).and_then(|o| o.op) else {
        return Vec::new();
    };
    file.actions
        .iter()
        .filter_map(|a| if let Some(pb::file_action::Action::Copy(c)) = &a.action { Some(c) } else { None })
        .map(|c| {
            // BuildKit refuses a copy into a directory that is not there (`/N`) unless told to make it.
            assert!(c.create_dest_path, "a probe copy into a missing directory: {c:?}");
            let (include, exclude) = (c.include_patterns.clone(), c.exclude_patterns.clone());
            if !c.allow_wildcard {
                assert!(!c.src.contains('['), "a literal probe copy with a pattern: {c:?}");
                return ProbeCopy { path: c.src.clone(), dest: c.dest.clone(), from: None, include, exclude };
            }
            assert!(c.allow_empty_wildcard, "a probe pattern that fails on a missing path: {c:?}");
            // `/var/lib/[d]pkg/info` or `/etc/[\\.]env`: one character class, right below where the pattern starts.
            let open = c.src.find('[').expect("a probe pattern has a class");
            let close = open + c.src[open..].find(']').expect("the class closes");
            let from = c.src[..open].trim_end_matches('/');
            ProbeCopy {
                path: format!(
                    "{}{}{}",
                    &c.src[..open],
                    c.src[open + 1..close].trim_start_matches('\\'),
                    &c.src[close + 1..]
                ),
                dest: c.dest.clone(),
                from: Some(if from.is_empty() { "/".into() } else { from.into() }),
                include,
                exclude,
            }
        })
        .collect()
}

impl ProbeCopy {
    /// Whether this copy takes builder path `path` (itself, or as one of the names its patterns include).
    pub fn holds(&self, path: &str) -> bool {
        let below = path.strip_prefix(self.path.as_str()).and_then(|r| r.strip_prefix('/'));
        path == self.path
            || below.is_some_and(|rest| !self.include.is_empty() && self.include.iter().any(|p| glob_matches(p, rest)))
    }
}

/// The probe copy that holds probe path `path`, and the rest of the path below it.
pub fn probe_location<'a>(copies: &'a [ProbeCopy], path: &str) -> Option<(&'a ProbeCopy, String)> {
    copies.iter().find_map(|c| {
        let rest = path.strip_prefix(c.dest.as_str())?;
        match rest.strip_prefix('/') {
            _ if rest.is_empty() => Some((c, String::new())),
            Some(rest) => Some((c, rest.to_string())),
            None => None,
        }
    })
}

/// The builder path a copy from the probe (`/N/<name>/...`) takes, or `None` for a copy not from the probe.
pub fn from_probe(copies: &[ProbeCopy], src: &str) -> Option<String> {
    probe_location(copies, src)
        .map(|(copy, rest)| if rest.is_empty() { copy.path.clone() } else { format!("{}/{rest}", copy.path) })
}

/// Whether include pattern `pattern` matches `path`, as BuildKit's patternmatcher does: the pattern is
/// trimmed of white space first, one starting with `!` excludes (so includes nothing), `*` stays within one
/// path component, `\\` takes the next character literally and `[...]` is a class of the characters listed.
/// What the pattern matches is copied whole: so is a path below a directory it matches.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let Some(pattern) = include_components(pattern) else { return false };
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() <= path.len()
        && pattern.iter().zip(&path).all(|(p, n)| component_matches(p, &n.chars().collect::<Vec<_>>()))
}

/// Whether `path` is a directory on the way to what `pattern` matches: BuildKit copies those too.
pub fn glob_parent(pattern: &str, path: &str) -> bool {
    let Some(pattern) = include_components(pattern) else { return false };
    let path: Vec<&str> = path.split('/').collect();
    path.len() < pattern.len()
        && pattern.iter().zip(&path).all(|(p, n)| component_matches(p, &n.chars().collect::<Vec<_>>()))
}

/// The components of an include pattern, or `None` for an exclusion.
pub fn include_components(pattern: &str) -> Option<Vec<Vec<char>>> {
    let pattern = pattern.trim();
    (!pattern.starts_with('!')).then(|| pattern.split('/').map(|c| c.chars().collect()).collect())
}

pub fn component_matches(p: &[char], n: &[char]) -> bool {
    match p.split_first() {
        None => n.is_empty(),
        Some(('*', rest)) => (0..=n.len()).any(|i| component_matches(rest, &n[i..])),
        Some(('\\', rest)) => match rest.split_first() {
            Some((c, rest)) => n.first() == Some(c) && component_matches(rest, &n[1..]),
            None => n.first() == Some(&'\\') && n.len() == 1,
        },
        Some(('[', rest)) => {
            let close = rest.iter().position(|&c| c == ']').expect("the class closes");
            n.first().is_some_and(|c| rest[..close].contains(c)) && component_matches(&rest[close + 1..], &n[1..])
        }
        Some((c, rest)) => n.first() == Some(c) && component_matches(rest, &n[1..]),
    }
}

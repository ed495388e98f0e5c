//! Python and Node projects, read as hostile input: `pyproject.toml`, `requirements.txt` and `package.json`
//! through the bounded reader, and every name taken from them (the project's name, a `[project.scripts]`
//! entry point, `package.json`'s `main` or `bin`) checked against its tool's rules before it is used.

use std::path::Path;

use super::project::read_project_file;
use super::InitError;

/// How a Python program starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PyEntry {
    /// A file at the project's root (`main.py`), run as a script.
    Script(String),
    /// `[project.scripts]`'s `module:function`: both dotted Python identifiers.
    Function { module: String, function: String },
}

/// A Python project: its name (for the image tag), how it starts, whether it has a `src/` layout, and
/// whether it lists dependencies or has them installed into `site-packages/` beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Python {
    pub name: String,
    pub entry: PyEntry,
    pub src: bool,
    pub deps: bool,
    pub site: bool,
}

/// A Node project: its name, the file `node` runs (relative to the project, checked to be a regular file
/// there), and whether it lists dependencies or has `node_modules/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub main: String,
    pub deps: bool,
    pub modules: bool,
}

/// Root files that start a Python program, in the order they are looked for.
const PY_SCRIPTS: [&str; 3] = ["__main__.py", "main.py", "app.py"];

fn unreadable(dir: &Path, file: &str, why: impl Into<String>) -> InitError {
    InitError::Unreadable { file: dir.join(file), why: why.into() }
}

/// A Python project in `dir`, if it has a `pyproject.toml` or a `requirements.txt`.
pub fn detect_python(dir: &Path) -> Result<Option<Python>, InitError> {
    let pyproject = read_project_file(&dir.join("pyproject.toml"))?;
    let requirements = read_project_file(&dir.join("requirements.txt"))?;
    if pyproject.is_none() && requirements.is_none() {
        return Ok(None);
    }
    let (mut name, mut entry, mut deps) = (None, None, false);
    if let Some(text) = &pyproject {
        let doc: toml::Table = toml::from_str(text)
            .map_err(|e| unreadable(dir, "pyproject.toml", format!("it is not valid TOML: {}", e.message())))?;
        let project = doc.get("project").and_then(toml::Value::as_table);
        if let Some(n) = project.and_then(|p| p.get("name")).and_then(toml::Value::as_str) {
            if !is_python_name(n) {
                return Err(unreadable(
                    dir,
                    "pyproject.toml",
                    format!(
                        "the project name {n:?} is not one Python packaging accepts (ASCII letters, digits and `._-`)"
                    ),
                ));
            }
            name = Some(n.to_string());
        }
        deps =
            project.and_then(|p| p.get("dependencies")).and_then(toml::Value::as_array).is_some_and(|d| !d.is_empty());
        let scripts = project.and_then(|p| p.get("scripts")).and_then(toml::Value::as_table);
        if let Some((key, value)) = scripts.and_then(|s| s.iter().next()) {
            let target = value.as_str().unwrap_or_default();
            let (module, function) = entry_point(target).ok_or_else(|| {
                let why = format!(
                    "[project.scripts] {key:?} = {target:?} is not `module:function` (dotted Python identifiers)"
                );
                unreadable(dir, "pyproject.toml", why)
            })?;
            entry = Some(PyEntry::Function { module, function });
        }
    }
    if let Some(text) = &requirements {
        deps |= text.lines().map(|l| l.split('#').next().unwrap_or_default().trim()).any(|l| !l.is_empty());
    }
    let entry = match entry
        .or_else(|| PY_SCRIPTS.iter().find(|f| is_regular(&dir.join(f))).map(|f| PyEntry::Script(f.to_string())))
    {
        Some(e) => e,
        None => {
            let file = if pyproject.is_some() { "pyproject.toml" } else { "requirements.txt" };
            let why = format!(
                "no program to run: no [project.scripts] entry and no {} at the project's root",
                PY_SCRIPTS.join(", ")
            );
            return Err(unreadable(dir, file, why));
        }
    };
    let name = name.unwrap_or_else(|| "app".into());
    Ok(Some(Python { name, entry, src: is_dir(&dir.join("src")), deps, site: is_dir(&dir.join("site-packages")) }))
}

/// A Node project in `dir`, if it has a `package.json`.
pub fn detect_node(dir: &Path) -> Result<Option<Node>, InitError> {
    let Some(text) = read_project_file(&dir.join("package.json"))? else { return Ok(None) };
    let fail = |why: String| unreadable(dir, "package.json", why);
    // serde_json stops at 128 levels of nesting, and the reader at 1 MiB.
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(format!("it is not valid JSON: {e}")))?;
    let name = match doc.get("name").and_then(serde_json::Value::as_str) {
        Some(n) if is_npm_name(n) => n.to_string(),
        Some(n) => return Err(fail(format!("the package name {n:?} is not one npm accepts (lower case letters, digits and `-._~`, an optional `@scope/`)"))),
        None => "app".into(),
    };
    let bin = match doc.get("bin") {
        Some(serde_json::Value::String(s)) => Some(s.as_str()),
        Some(serde_json::Value::Object(map)) => map.values().next().and_then(serde_json::Value::as_str),
        _ => None,
    };
    let main = doc.get("main").and_then(serde_json::Value::as_str);
    let (key, written) = match (bin, main) {
        (Some(b), _) => ("bin", b),
        (None, Some(m)) => ("main", m),
        (None, None) => ("main", "index.js"),
    };
    let relative = project_relative(written).ok_or_else(|| {
        fail(format!("`{key}` {written:?} is not a path inside the project (letters, digits and `._-@+`, no `..`)"))
    })?;
    // As node resolves a `main`: the file, then with `.js`, then the directory's `index.js`.
    let main = [relative.clone(), format!("{relative}.js"), format!("{relative}/index.js")]
        .into_iter()
        .find(|p| is_regular(&dir.join(p)))
        .ok_or_else(|| fail(format!("`{key}` names {relative:?}, which is not a regular file in the project")))?;
    let deps = doc.get("dependencies").and_then(serde_json::Value::as_object).is_some_and(|d| !d.is_empty());
    Ok(Some(Node { name, main, deps, modules: is_dir(&dir.join("node_modules")) }))
}

/// A regular file, not through a symlink (what the build copies is the file itself).
fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// A Python package name (PEP 508): ASCII letters and digits, with `._-` inside, at most 128 characters.
pub fn is_python_name(name: &str) -> bool {
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    name.len() <= 128
        && edge(name.bytes().next())
        && edge(name.bytes().last())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// An npm package name: lower case letters, digits and `-._~` (not starting with `.` or `_`), with an
/// optional `@scope/`, at most 214 characters.
pub fn is_npm_name(name: &str) -> bool {
    let part = |p: &str| {
        p.bytes().next().is_some_and(|b| !b".+_".contains(&b))
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~".contains(&b))
    };
    let ok = match name.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').is_some_and(|(scope, n)| part(scope) && part(n)),
        None => part(name),
    };
    ok && name.len() <= 214
}

/// `module:function` of an entry point, each a dotted run of ASCII Python identifiers (extras refused).
pub fn entry_point(text: &str) -> Option<(String, String)> {
    let (module, function) = text.split_once(':')?;
    let (module, function) = (module.trim(), function.trim());
    let dotted = |s: &str| {
        s.len() <= 200
            && s.split('.').all(|id| {
                id.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
    };
    (dotted(module) && dotted(function)).then(|| (module.to_string(), function.to_string()))
}

/// A path inside the project, normalized (`./bin/cli.js` → `bin/cli.js`): components of ASCII letters,
/// digits and `._-@+`, none empty, `.` or `..`, none starting with `-`.
pub fn project_relative(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| *p != ".").collect();
    let ok = |p: &&str| {
        !p.is_empty()
            && *p != ".."
            && !p.starts_with('-')
            && p.len() <= 255
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@+".contains(&b))
    };
    (!path.starts_with('/') && !parts.is_empty() && parts.iter().all(ok) && path.len() <= 1024).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_entry_points_follow_their_tools_rules() {
        assert!(is_python_name("my-app") && is_python_name("a.b_c1") && is_python_name("X"));
        for bad in ["", "-x", "x-", "a b", "a\n", "é", "a;b"] {
            assert!(!is_python_name(bad), "{bad:?}");
        }
        assert!(is_npm_name("app") && is_npm_name("@org/web-app") && is_npm_name("a.b~c"));
        for bad in ["", "App", ".x", "_x", "@org", "@/x", "a/b", "a b", "$(id)", &"a".repeat(215)] {
            assert!(!is_npm_name(bad), "{bad:?}");
        }
        assert_eq!(entry_point("app.cli:main"), Some(("app.cli".into(), "main".into())));
        assert_eq!(entry_point("app:Cli.run"), Some(("app".into(), "Cli.run".into())));
        for bad in
            ["app", "app:", ":main", "app:main [extra]", "a-b:main", "1a:main", "a;import os:x", "a:b()", "a..b:c"]
        {
            assert_eq!(entry_point(bad), None, "{bad:?}");
        }
        assert_eq!(project_relative("./bin/cli.js").as_deref(), Some("bin/cli.js"));
        assert_eq!(project_relative("server.js").as_deref(), Some("server.js"));
        for bad in ["", ".", "/etc/passwd", "../x.js", "a/../../x", "a//b", "-e.js", "a b.js", "x\n.js", "$(id).js"] {
            assert_eq!(project_relative(bad), None, "{bad:?}");
        }
    }
}

//! The one table of what scratchkit reports: every error, warning and note has a stable code, a severity,
//! a name, a one-line summary and the section of `docs/spec.md` that explains it. Call sites name the
//! code (`Diagnostic::error(SK215, ...)`); `--call check` reports it as BuildKit's rule name with its docs
//! URL; `docs/spec.md`'s table of codes is [`markdown`]'s output (`scratchkit schema --rules`), and its
//! sections' message tables are [`messages`]'s.
//!
//! Codes by layer: `SK1xx` reading the spec (`spec`, `compile`), `SK2xx` its meaning (`plan`), `SK3xx`
//! the builder's output and the assembled image (`verify`), `SK4xx` the BuildKit it runs on and the build
//! request (`frontend`). A code is never reused for another problem: a rule that goes away leaves a gap.

pub mod messages;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Error,
    Warning,
    /// Worth knowing, nothing to fix: shown by the CLI and in the daemon log, never as a build warning.
    Note,
}

/// One kind of problem.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// `SK215`: stable, what tests, `compile` and `--call check` go by.
    pub code: &'static str,
    pub severity: Severity,
    /// `copy-empty`: a short handle for people.
    pub name: &'static str,
    /// What is wrong, in a line (BuildKit's rule description).
    pub summary: &'static str,
    /// The heading of `docs/spec.md` that explains it.
    pub anchor: &'static str,
}

/// Where `docs/spec.md` is published; a build can point elsewhere with `SCRATCHKIT_DOCS_URL`.
pub const DOCS_URL: &str = match option_env!("SCRATCHKIT_DOCS_URL") {
    Some(url) => url,
    None => "https://github.com/scratchkit/scratchkit/blob/main/docs/spec.md",
};

impl Rule {
    /// The rule's own row in the table of codes.
    pub fn url(&self) -> String {
        format!("{DOCS_URL}#{}", self.code.to_ascii_lowercase())
    }
}

macro_rules! rules {
    ($($code:ident $severity:ident $name:literal $anchor:literal $summary:literal;)*) => {
        /// The codes, one constant each, for call sites to name.
        pub mod codes {
            use super::{Rule, Severity};
            $(pub const $code: &Rule = &Rule {
                code: stringify!($code),
                severity: Severity::$severity,
                name: $name,
                summary: $summary,
                anchor: $anchor,
            };)*
        }
        /// Every rule, in code order.
        pub const RULES: &[&Rule] = &[$(codes::$code),*];
    };
}

rules! {
    SK101 Error "too-deep" "yaml-rules" "the spec nests deeper than the parser allows";
    SK102 Error "second-document" "yaml-rules" "the file holds a second YAML document";
    SK103 Error "not-a-mapping-of-sections" "the-file" "the spec is not a mapping of sections";
    SK104 Error "yaml-anchor" "yaml-rules" "YAML anchors and aliases are not supported";
    SK105 Error "complex-key" "yaml-rules" "a mapping key is not a plain string";
    SK106 Error "yaml-tag" "yaml-rules" "YAML tags are not supported";
    SK107 Error "invalid-yaml" "yaml-rules" "the file is not valid YAML";
    SK108 Error "duplicate-key" "yaml-rules" "a key is written twice in one mapping";
    SK109 Error "top-level-sequence" "the-file" "the spec is a list, not a mapping";
    SK110 Error "section-not-a-mapping" "messages-that-apply-to-any-key" "a section or entry is not a mapping";
    SK111 Error "missing-key" "messages-that-apply-to-any-key" "a required key is missing";
    SK112 Error "entries-not-a-list" "messages-that-apply-to-any-key" "a list of entries is not a list";
    SK113 Error "unknown-key" "messages-that-apply-to-any-key" "a key the section does not have";
    SK114 Error "not-a-single-value" "messages-that-apply-to-any-key" "a key that takes one value has a list, a mapping or nothing";
    SK115 Error "not-a-boolean" "messages-that-apply-to-any-key" "a switch is not true or false";
    SK116 Error "not-a-list" "messages-that-apply-to-any-key" "a key that takes a list has something else";
    SK117 Error "not-a-mapping" "messages-that-apply-to-any-key" "a key that takes a mapping has something else";
    SK118 Error "timezones-shape" "rootfstimezones" "`timezones` is neither a word nor a list of zones";
    SK119 Error "spec-too-large" "yaml-rules" "the spec file is larger than the limit";
    SK120 Error "not-utf8" "yaml-rules" "the spec file is not UTF-8";
    SK121 Error "too-many-values" "yaml-rules" "the spec has more keys and list items than the limit";
    SK122 Error "shell-form" "imagehealthcheck" "a command is a shell string, and the image has no shell";
    SK123 Error "gconv-shape" "rootfsgconv" "`gconv` is neither a word nor a list of charsets";

    SK201 Error "arg-name" "args" "an arg name is not letters, digits and `_`";
    SK202 Error "arg-overridden" "args" "an arg the builder sets in every `run`";
    SK203 Error "arg-too-long" "args" "a build arg value is longer than the limit";
    SK204 Warning "build-arg-unused" "args" "a `--build-arg` no `args:` entry declares";
    SK205 Warning "epoch-too-late" "reproducible-builds-source_date_epoch" "`SOURCE_DATE_EPOCH` is later than file times can hold";
    SK206 Warning "epoch-not-seconds" "reproducible-builds-source_date_epoch" "`SOURCE_DATE_EPOCH` is not a number of seconds";
    SK207 Error "unknown-version" "version" "a spec version other than 1";
    SK208 Error "builder-env-name" "builder" "a `builder.env` name is not a variable name";
    SK209 Error "cache-covers-workdir" "builder" "a cache mount covers the builder's workdir";
    SK210 Error "secret-without-id" "buildersecrets" "a secret has no `id`";
    SK211 Error "secret-id" "buildersecrets" "a secret id is not a name";
    SK212 Error "network-choice" "builder" "`builder.network` is not one of its words";
    SK213 Error "builder-platform-choice" "builder" "`builder.platform` is not one of its words";
    SK214 Error "relative-builder-path" "copy" "a copy source in the builder is a relative path";
    SK215 Error "copy-empty" "copy" "`copy` lists nothing";
    SK216 Error "copied-twice" "copy" "two copies have one destination";
    SK217 Error "copy-from-cache" "copy" "a copy takes a path inside a builder cache mount";
    SK218 Error "file-onto-root" "copy" "a file is copied onto `/`";
    SK219 Error "copy-into-root" "copy" "a directory's contents are copied into `/`";
    SK220 Error "copy-over-copy" "copy" "a copy lands on a directory an earlier copy made";
    SK221 Error "copy-replaces-rootfs" "copy" "a copy replaces what a rootfs piece writes";
    SK222 Error "copy-hides-rootfs" "copy" "a file is copied onto a directory a rootfs piece writes into";
    SK223 Error "unknown-target" "targets" "`--target` names no target";
    SK224 Error "dir-without-path" "rootfsdirs" "a `rootfs.dirs` entry has no `path`";
    SK225 Error "dir-listed-twice" "rootfsdirs" "a directory is listed twice with another mode or owner";
    SK226 Error "file-incomplete" "rootfsfiles" "a `rootfs.files` entry lacks `path` or `content`";
    SK227 Error "no-entrypoint" "imageentrypoint-imagecmd" "no entrypoint, and no single copied file to be it";
    SK228 Warning "runs-as-root" "imageuser" "the image runs as root";
    SK229 Error "image-env-name" "imageworkdir-env-expose-labels-stop-signal" "an `image.env` name is not a variable name";
    SK230 Warning "tz-without-zones" "rootfstimezones" "`TZ` is set but the image has no time zones";
    SK231 Error "not-a-port" "imageworkdir-env-expose-labels-stop-signal" "an `image.expose` entry is not a port";
    SK232 Error "label-without-name" "imageworkdir-env-expose-labels-stop-signal" "a label has an empty name";
    SK233 Error "program-not-absolute" "imageentrypoint-imagecmd" "the program is not an absolute path";
    SK234 Error "program-not-copied" "imageentrypoint-imagecmd" "the program is not among what the image contains";
    SK235 Error "libraries-choice" "rootfslibraries" "`rootfs.libraries` is not one of its words";
    SK236 Error "package-metadata-without-builder" "rootfspackage-metadata" "package metadata is asked for without a builder";
    SK237 Warning "platform-requested-twice" "platforms" "`--platform` names a platform twice";
    SK238 Warning "platform-listed-twice" "platforms" "`platforms` lists a platform twice";
    SK239 Error "not-a-platform" "platforms" "a platform is not `os/arch[/variant]`";
    SK240 Error "ca-without-builder" "rootfsca-certificates" "CA certificates are asked for without a builder";
    SK241 Error "ca-not-one-file" "rootfsca-certificates" "`ca-certificates.from` does not name one file";
    SK242 Error "ca-from-named-context" "rootfsca-certificates" "`ca-certificates.from` names a named context";
    SK243 Error "data-file-without-builder" "rootfsservices-rootfsprotocols-rootfsmime-types" "a data file is asked for without a builder";
    SK244 Error "timezones-without-builder" "rootfstimezones" "all time zones are asked for without a builder";
    SK245 Error "timezones-choice" "rootfstimezones" "`rootfs.timezones` is not one of its words";
    SK246 Error "not-a-zone" "rootfstimezones" "a listed time zone is not a zone name";
    SK247 Error "zones-without-builder" "rootfstimezones" "listed time zones without a builder";
    SK248 Error "user-is-nobody" "rootfsusers" "a listed user takes the name or uid of `nobody`";
    SK249 Error "uid-shared" "rootfsusers" "two users share a uid";
    SK250 Error "user-listed-twice" "rootfsusers" "a user name is listed twice";
    SK251 Error "home-shared" "rootfsusers" "two users share a home";
    SK252 Error "group-incomplete" "rootfsgroups" "a group lacks `name` or `gid`";
    SK253 Error "gid-used" "rootfsgroups" "a gid is already used";
    SK254 Error "member-not-a-user" "rootfsgroups" "a group member is not a user";
    SK255 Error "group-defined-twice" "rootfsgroups" "two groups have one name";
    SK256 Error "home-in-home" "rootfsusers" "a home is inside another user's home";
    SK257 Error "account-name" "rootfsusers" "a user, group or member name is not a valid account name";
    SK258 Error "id-out-of-range" "rootfsusers" "a uid or gid is out of range";
    SK259 Error "id-not-a-number" "rootfsusers" "a uid or gid is not a number";
    SK260 Error "passwd-field" "rootfsusers" "a home or shell cannot be written in /etc/passwd";
    SK261 Error "user-without-name" "rootfsusers" "a user has no `name`";
    SK262 Error "user-without-uid" "rootfsusers" "a user has no `uid`";
    SK263 Error "home-is-system-dir" "rootfsusers" "a home is a system directory";
    SK264 Error "unknown-owner" "owners" "an owner names no user or group";
    SK265 Error "expansion-too-long" "name-substitution" "a value is longer than the limit once its build args are substituted";
    SK266 Error "undeclared-arg" "name-substitution" "`${NAME}` names no build arg";
    SK267 Error "nul-byte" "value-types" "a value that reaches a C string contains a NUL byte";
    SK268 Error "mount-point" "builder" "a mount point is `/` or under `/proc`, `/sys` or `/dev`";
    SK269 Error "path-not-absolute" "value-types" "a path is not absolute";
    SK270 Error "path-escapes" "value-types" "a path escapes the root with `..`";
    SK271 Error "path-empty" "value-types" "a path is empty";
    SK272 Error "path-too-long" "value-types" "a path is longer than Linux takes";
    SK273 Error "path-name-too-long" "value-types" "a path component is longer than Linux takes";
    SK274 Error "path-control-character" "value-types" "a path contains a control character";
    SK275 Error "image-ref-empty" "value-types" "an image reference is empty";
    SK276 Error "image-ref" "value-types" "an image reference does not parse";
    SK277 Warning "setuid-mode" "value-types" "a mode is setuid or setgid";
    SK278 Warning "world-writable" "value-types" "a mode makes a path world-writable";
    SK279 Error "mode" "value-types" "a mode is not an octal number";
    SK280 Error "expansion-total" "name-substitution" "build args expand the spec by more than the limit in all";
    SK281 Error "copies-over-record" "copy" "the copies pass what BuildKit can record of a build";
    SK282 Error "healthcheck-without-program" "imagehealthcheck" "`image.healthcheck.test` names no program";
    SK283 Error "healthcheck-shell" "imagehealthcheck" "the health check is `CMD-SHELL`, and the image has no shell";
    SK284 Error "duration-too-short" "imagehealthcheck" "a health check duration is shorter than 1ms";
    SK285 Error "not-a-duration" "imagehealthcheck" "a health check duration is not a duration";
    SK286 Error "retries-not-a-count" "imagehealthcheck" "`image.healthcheck.retries` is not a count";
    SK287 Warning "volume-not-writable" "imagevolumes" "a volume the image does not make, which its user cannot write";
    SK288 Error "brought-without-builder" "rootfsdlopen" "`rootfs.gconv`, `dlopen` or `packages` names builder files, and there is no builder";
    SK289 Error "dlopen-without-libraries" "rootfsdlopen" "`rootfs.dlopen` is set while `rootfs.libraries` is `none`";
    SK290 Error "gconv-choice" "rootfsgconv" "`rootfs.gconv` is not one of its words";
    SK291 Error "brought-name" "rootfsdlopen" "a `gconv`, `dlopen` or `packages` entry is not a name of its kind";

    SK301 Error "copied-dir-unreadable" "build-time-checks" "a copied directory cannot be listed";
    SK302 Error "dynamic-symbols-unreadable" "rootfslibraries" "the dynamic symbols of a file cannot be read";
    SK303 Error "gconv-module-unreadable" "rootfslibraries" "a glibc gconv module cannot be read as ELF";
    SK304 Error "gconv-dir-unreadable" "rootfslibraries" "glibc's gconv modules cannot be listed";
    SK305 Warning "no-gconv-modules" "rootfslibraries" "a program calls iconv_open but the builder has no gconv modules";
    SK306 Warning "link-dangles" "rootfslibraries" "a copied symlink leads nowhere in the builder either";
    SK307 Error "link-leaves-copy" "rootfslibraries" "a copied symlink leads out of the directory copied";
    SK308 Warning "file-in-dir-not-elf" "rootfslibraries" "a file in a copied directory cannot be read as ELF";
    SK309 Warning "file-in-dir-other-platform" "rootfslibraries" "a file in a copied directory is built for another platform";
    SK310 Error "library-not-elf" "rootfslibraries" "a needed library cannot be read as ELF";
    SK311 Error "origin-moved" "rootfslibraries" "a program finds libraries by `$ORIGIN`, and the copy moves it away from them";
    SK312 Error "no-libgcc-s" "rootfslibraries" "glibc's thread cancellation needs libgcc_s, which the builder lacks";
    SK313 Error "library-missing" "rootfslibraries" "a needed library is not in the builder";
    SK314 Error "context-file-not-elf" "build-time-checks" "a file copied from the context cannot be read as ELF";
    SK315 Error "context-file-other-platform" "build-time-checks" "a program copied from the context is built for another platform";
    SK316 Error "context-file-dynamic" "build-time-checks" "a program copied from the context is dynamically linked, and `libraries: none`";
    SK317 Error "context-file-dynamic-no-builder" "build-time-checks" "a program copied from the context is dynamically linked, and there is no builder";
    SK318 Error "context-symbols-unreadable" "build-time-checks" "the dynamic symbols of a file from the context cannot be read";
    SK319 Error "program-not-runnable" "the-image-check" "the image's program is missing, not a file or not executable for its user";
    SK320 Error "planned-path-changed" "the-image-check" "a planned directory or file has another type, mode or owner in the image";
    SK321 Error "home-unreachable" "the-image-check" "a home is inside a directory its user cannot pass";
    SK322 Error "rootfs-file-unreadable" "the-image-check" "a CA bundle, data file or zone cannot be read by the image's user";
    SK323 Error "zones-unreadable" "the-image-check" "the time zone database cannot be read by the image's user";
    SK324 Error "link-dangles-in-image" "the-image-check" "a symlink does not resolve in the image";
    SK325 Error "library-missing-in-image" "the-image-check" "a dynamic program's library is not in the image";
    SK326 Error "copy-replaces-rootfs-file" "build-time-checks" "a directory's copy would put a file over what the rootfs writes";
    SK327 Error "copy-source-missing" "build-time-checks" "a copied path does not exist after `run`";
    SK328 Error "file-where-dir-needed" "build-time-checks" "a copied file is where another copy needs a directory";
    SK329 Error "copied-file-not-elf" "build-time-checks" "a copied program cannot be read as ELF";
    SK330 Error "other-platform" "build-time-checks" "a copied program is built for another platform";
    SK331 Note "debug-information" "build-time-checks" "most of a copied program is debug information; stripping saves the bytes shown";
    SK332 Error "dynamic-without-libraries" "build-time-checks" "a copied program is dynamically linked, and `libraries: none`";
    SK333 Error "no-ca-bundle" "rootfsca-certificates" "the builder image has no CA bundle";
    SK334 Error "no-zone-database" "rootfstimezones" "the builder image has no time zone database";
    SK335 Error "zone-missing" "rootfstimezones" "a listed time zone is not in the builder";
    SK336 Error "data-file-missing" "rootfsservices-rootfsprotocols-rootfsmime-types" "a data file asked for is not in the builder";
    SK337 Error "ca-bundle-is-dir" "rootfsca-certificates" "the CA bundle is a directory in the builder";
    SK338 Warning "data-files-absent" "rootfsservices-rootfsprotocols-rootfsmime-types" "data files on by default are not in the builder";
    SK339 Error "program-is-dir" "build-time-checks" "the program is a directory in the builder";
    SK340 Error "program-not-executable" "build-time-checks" "the program is not executable";
    SK341 Error "dlopen-note-unmet" "rootfsdlopen" "a library a `.note.dlopen` requires is not in the builder, or the note cannot be read";
    SK342 Error "package-not-installed" "rootfspackages" "a `rootfs.packages` entry is not installed in the builder";
    SK343 Error "package-list-unreadable" "rootfspackages" "a package's dpkg file list cannot be read";
    SK344 Error "package-file-unreadable" "rootfspackages" "a file of a listed package cannot be read as ELF";
    SK345 Error "gconv-absent" "rootfsgconv" "`rootfs.gconv` asks for charsets, and the builder has no gconv modules";
    SK346 Error "gconv-config-unreadable" "rootfsgconv" "glibc's gconv configuration cannot be read";
    SK347 Error "charset-unknown" "rootfsgconv" "a `rootfs.gconv` charset is not in the builder's gconv configuration";
    SK348 Error "gconv-module-not-library" "rootfsgconv" "a gconv module is not a shared library for the machine";
    SK349 Error "gconv-module-missing" "rootfsgconv" "a gconv module the configuration names cannot be read";
    SK350 Error "dlopen-name-unresolved" "rootfsdlopen" "a `rootfs.dlopen` name does not resolve in the builder";

    SK401 Warning "no-attestation-cap" "sbom-attestations" "this BuildKit takes no attestations from a frontend";
    SK402 Error "named-context-missing" "named-contexts---build-context" "a copy names a build context that was not passed";
    SK403 Error "named-context-missing-for-platform" "named-contexts---build-context" "a build context was not passed for every platform";
    SK404 Error "named-context-kind" "named-contexts---build-context" "a build context is of a kind copies cannot read";
    SK405 Error "builder-context-not-image" "named-contexts---build-context" "`--build-context` puts something other than an image in place of the builder";
    SK406 Warning "no-mergeop" "buildkit-version" "this BuildKit has no MergeOp";
    SK407 Warning "no-copy-filter" "buildkit-version" "this BuildKit cannot leave files out of a copy";
    SK408 Error "builder-image-unresolved" "builder" "the builder image cannot be resolved";
}

/// The rule with this code.
pub fn by_code_str(code: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code == code)
}

/// A rule written as its code (serde `with`): a code this build does not know is an error, not a guess.
pub mod by_code {
    use super::Rule;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(rule.code)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Rule, D::Error> {
        let code = String::deserialize(d)?;
        super::by_code_str(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown rule code `{code}`")))
    }
}

/// The markers around the generated table in `docs/spec.md`.
pub const BEGIN: &str = "<!-- generated from src/rules.rs: cargo run -q -- schema --rules -->\n";
pub const END: &str = "<!-- end of the generated table of codes -->";

/// `docs/spec.md`'s table of codes: one row per rule, each with its own anchor (the code, lower case)
/// so that a rule's URL lands on its row.
pub fn markdown() -> String {
    let mut out = String::from("| code | severity | name | what it means | explained in |\n|---|---|---|---|---|\n");
    for r in RULES {
        let severity = match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        let lower = r.code.to_ascii_lowercase();
        out.push_str(&format!(
            "| <a id=\"{lower}\"></a>`{}` | {severity} | `{}` | {} | [{}](#{}) |\n",
            r.code, r.name, r.summary, r.anchor, r.anchor
        ));
    }
    out
}

/// The line that ends each section of `docs/spec.md` a rule points at: its codes, each linked to its row.
pub fn section_codes(anchor: &str) -> String {
    let codes: Vec<String> = RULES
        .iter()
        .filter(|r| r.anchor == anchor)
        .map(|r| format!("[`{}`](#{}) `{}`", r.code, r.code.to_ascii_lowercase(), r.name))
        .collect();
    format!("{SECTION_CODES}{}.", codes.join(", "))
}

/// How [`section_codes`] lines start.
pub const SECTION_CODES: &str = "Codes: ";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_and_names_are_unique_and_in_order() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "RULES is in code order");
        assert_eq!(codes.iter().collect::<BTreeSet<_>>().len(), codes.len(), "a code twice");
        assert_eq!(RULES.iter().map(|r| r.name).collect::<BTreeSet<_>>().len(), RULES.len(), "a name twice");
    }

    #[test]
    fn the_docs_table_is_the_generated_one() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec.md")).expect("docs/spec.md");
        let begin = docs.find(BEGIN).expect("the begin marker of the table of codes in docs/spec.md");
        let body = &docs[begin + BEGIN.len()..];
        let end = body.find(END).expect("the end marker of the table of codes");
        assert!(body[..end] == markdown(), "the table of codes in docs/spec.md differs from src/rules.rs; replace it with `cargo run -q -- schema --rules`");
    }

    #[test]
    fn every_anchor_is_a_heading_of_the_docs() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec.md")).expect("docs/spec.md");
        let headings: BTreeSet<String> = docs.lines().filter(|l| l.starts_with("##")).map(slug).collect();
        for r in RULES {
            assert!(headings.contains(r.anchor), "{}: no heading of docs/spec.md has the anchor #{}", r.code, r.anchor);
        }
    }

    #[test]
    fn every_section_ends_with_its_codes() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec.md")).expect("docs/spec.md");
        // Each heading's section: its lines up to the next heading.
        let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
        for line in docs.lines() {
            if line.starts_with("##") {
                sections.push((slug(line), Vec::new()));
            } else if let Some((_, lines)) = sections.last_mut() {
                lines.push(line);
            }
        }
        for (anchor, lines) in &sections {
            let found: Vec<&&str> = lines.iter().filter(|l| l.starts_with(SECTION_CODES)).collect();
            let has_rules = RULES.iter().any(|r| r.anchor == anchor);
            let want = section_codes(anchor);
            match (has_rules, found.as_slice()) {
                (false, []) => {}
                (true, [line]) if **line == want => {}
                _ => panic!("section #{anchor} of docs/spec.md: its last line should be\n{want}\n(found {found:?})"),
            }
        }
    }

    #[test]
    fn every_rule_is_reported_somewhere() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() && !path.ends_with("rules") {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("rules.rs") {
                    out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let mut code = String::new();
        sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut code);
        let unused: Vec<&str> = RULES.iter().map(|r| r.code).filter(|c| !code.contains(c)).collect();
        assert!(unused.is_empty(), "rules no code reports (remove them, leaving the code unused): {unused:?}");
    }

    /// GitHub's anchor for a heading.
    fn slug(heading: &str) -> String {
        let text = heading.trim_start_matches('#').trim().to_lowercase();
        text.chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }
}

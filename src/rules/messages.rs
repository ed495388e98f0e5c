//! The message tables of `docs/spec.md`: for each section that has one, a row per problem with the words
//! users see and the rules (codes) that report it. `docs/spec.md` holds each table between the markers
//! [`begin`] and [`end`] of its section; [`regenerate`] rewrites them, and the offline test
//! `message_tables` fails when the docs differ (`SCRATCHKIT_UPDATE_DOCS=1 cargo test --test offline
//! message_tables` rewrites them). Rows that are not scratchkit's diagnostics (BuildKit's own errors, what is
//! legal) stay hand-written next to their table.

use super::codes::*;
use super::Rule;

/// One section's table.
pub struct Table {
    /// The heading of `docs/spec.md` it is under (GitHub's anchor).
    pub anchor: &'static str,
    /// The column headers, before the generated `code` column.
    pub columns: &'static [&'static str],
    pub rows: &'static [Row],
}

/// One problem: what the user wrote or what went wrong, the message (Markdown), and the rules that report it.
pub struct Row {
    pub codes: &'static [&'static Rule],
    /// One per column.
    pub cells: &'static [&'static str],
}

impl Table {
    /// The table in Markdown, its codes linked to their rows of the table of codes.
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} | code |\n|{}\n", self.columns.join(" | "), "---|".repeat(self.columns.len() + 1));
        for row in self.rows {
            let codes: Vec<String> =
                row.codes.iter().map(|r| format!("[`{}`](#{})", r.code, r.code.to_ascii_lowercase())).collect();
            out.push_str(&format!("| {} | {} |\n", row.cells.join(" | "), codes.join(", ")));
        }
        out
    }
}

/// The line before a section's table in `docs/spec.md`.
pub fn begin(anchor: &str) -> String {
    format!("<!-- messages of #{anchor}: generated from src/rules/messages.rs -->\n")
}

/// The line after it.
pub fn end(anchor: &str) -> String {
    format!("<!-- end of the messages of #{anchor} -->")
}

/// `docs` with every table between its markers replaced by the generated one; an error names a table whose
/// markers are missing.
pub fn regenerate(docs: &str) -> Result<String, String> {
    let mut out = docs.to_string();
    for table in TABLES {
        let (begin, end) = (begin(table.anchor), end(table.anchor));
        let start = out.find(&begin).ok_or_else(|| format!("no marker `{}` in the docs", begin.trim_end()))?;
        let body = start + begin.len();
        let stop = out[body..].find(&end).ok_or_else(|| format!("no marker `{end}` in the docs"))? + body;
        out.replace_range(body..stop, &table.markdown());
    }
    Ok(out)
}

/// Every table (`docs/spec.md` has each in the section it is for).
pub const TABLES: &[Table] = &[
    Table {
        anchor: "yaml-rules",
        columns: &["you write", "message"],
        rows: &[
            Row {
                codes: &[SK103, SK109],
                cells: &[
                    r"anything other than a mapping at the top (`- a`, `hello`)",
                    r"`the spec must be a mapping of sections`",
                ],
            },
            Row {
                codes: &[SK104],
                cells: &[r"an anchor or alias (`&a`, `*a`)", r"`YAML anchors and aliases are not supported`"],
            },
            Row { codes: &[SK106], cells: &[r"a tag (`!foo`)", r"``YAML tags (`!name`) are not supported``"] },
            Row {
                codes: &[SK105],
                cells: &[r"a mapping key that is not a plain scalar", r"`a mapping key must be a plain string`"],
            },
            Row {
                codes: &[SK108],
                cells: &[
                    r"the same key twice in one mapping",
                    r"``duplicate key `copy` ``, hint `it is already set on line 1; keep one of them`",
                ],
            },
            Row {
                codes: &[SK107],
                cells: &[
                    r"a syntax error",
                    r"`invalid YAML: <the parser's words>`, hint `check the indentation and quoting on this line`",
                ],
            },
            Row {
                codes: &[SK113],
                cells: &[
                    r"a key the section does not have",
                    r"``unknown top-level key `bulder` `` or ``unknown key `entrypont` in `image` ``, hint `` did you mean `entrypoint`? `` or the list of the section's keys",
                ],
            },
            Row {
                codes: &[SK102],
                cells: &[
                    r"a second document (`---` after the spec)",
                    r"`a second YAML document starts here` (hint `a spec is one document: remove this line and what follows, or move it to a file of its own`)",
                ],
            },
            Row {
                codes: &[SK101],
                cells: &[
                    r"nesting deeper than 64 levels (`- - - …`, `[[[…`, indentation), also under an `x-` key",
                    r"`the spec nests deeper than 64 levels here` (hint ``a spec needs about six levels (`rootfs:` → `users:` → `- name:`); flatten this value``); found by a scan before the parser",
                ],
            },
            Row {
                codes: &[SK119],
                cells: &[
                    r"a file over 1 MiB (`check /dev/zero`)",
                    r"`the spec is larger than 1024 KiB (<n> bytes read)`; at most 1 MiB + 1 byte is read",
                ],
            },
            Row {
                codes: &[SK121],
                cells: &[
                    r"more than 100,000 keys and list items (`copy: [a,a,a,…]`), counted by the same scan (every `key:`, block `- ` and flow `,` outside quotes, comments and block scalars)",
                    r"`the spec has more than 100000 keys and list items (<n>)` (hint `a spec has a few hundred; is this the right file?`): the parsed tree costs a few hundred bytes per item, so the count bounds the memory of a check",
                ],
            },
            Row {
                codes: &[SK120],
                cells: &[
                    r"bytes that are not UTF-8",
                    r"`the spec is not valid UTF-8 here`, at the first bad byte (hint `save the file as UTF-8 (a byte of another encoding, such as Latin-1, is not UTF-8)`); a UTF-8 byte-order mark at the start is accepted",
                ],
            },
        ],
    },
    Table {
        anchor: "args",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK117],
                cells: &[
                    r"not a mapping",
                    r"``` `args` must be a mapping, found a list ``` (hint ``write `args: {NAME: value}` ``)",
                ],
            },
            Row {
                codes: &[SK201],
                cells: &[
                    r"a name that is not letters, digits and `_`, or starts with a digit",
                    r"``` `1X` is not a valid arg name ``` (hint ``use letters, digits and `_`, starting with a letter``)",
                ],
            },
            Row {
                codes: &[SK114],
                cells: &[
                    r"no default (`A:`, `A: ~`)",
                    r#"``` `args.A` must be a single value, found nothing ``` (hint ``write `args.A: <value>` ``); `A: ""` is an empty default"#,
                ],
            },
            Row {
                codes: &[SK203, SK267],
                cells: &[
                    r"a value over 256 KiB (default or `--build-arg`), or with a NUL byte",
                    r"``build arg `A` is <n> bytes long; at most 256 KiB``, ``build arg `A` contains a NUL byte`` (hint `an environment variable cannot hold NUL`)",
                ],
            },
            Row {
                codes: &[SK202],
                cells: &[
                    r"a name the builder sets after the args (`PATH`, `TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`, `TARGETVARIANT`, `BUILDPLATFORM`, `BUILDOS`, `BUILDARCH`, `SSH_AUTH_SOCK`): the arg would be silently overridden",
                    r"``arg `TARGETARCH` would be overridden in every `run` `` (hint ``the builder sets it for each platform: `run` commands have it without declaring it (`$TARGETARCH`); remove this entry``; for `PATH`: ``the builder image's `PATH` is kept; set another with `builder.env: {PATH: ...}` ``)",
                ],
            },
            Row { codes: &[SK204], cells: &[r"a `--build-arg` no entry declares", r"warning, see above"] },
        ],
    },
    Table {
        anchor: "builder",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK111],
                cells: &[
                    r"`builder` has no `image`",
                    r"``` `builder` has no `image` ``` (hint ``name the image that compiles the app, e.g. `image: golang:1.23` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK110],
                cells: &[
                    r"`builder:` with nothing under it",
                    r"``` `builder` must be a mapping, found nothing ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK275],
                cells: &[
                    r"`image` empty after substitution",
                    r"``builder.image `${IMG}` is empty after substitution`` (hint ``write a reference such as `golang:1.23`; a `${...}` in it must give one (pass a value with --build-arg)``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK276],
                cells: &[
                    r"`image` not a reference (`UPPER/Case`, `golang 1.23`, `a@sha256:short`)",
                    r"``builder.image `UPPER/Case` is not an image reference: `UPPER` has upper-case letters; repository names are lower-case`` (hint ``write a reference such as `golang:1.23` or `ghcr.io/org/image:tag` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK269],
                cells: &[
                    r"relative `workdir` / `cache`",
                    r"``builder.workdir `src` is not an absolute path``, ``builder.cache path `rel` is not an absolute path``",
                    r"check",
                ],
            },
            Row {
                codes: &[SK268],
                cells: &[
                    r"`workdir` / `cache` at `/` or under `/proc`, `/sys`, `/dev`",
                    r"``builder.workdir `/` is the root``, ``builder.cache path `/proc/self/cwd` is under `/proc` `` (hint ``choose a directory of its own, e.g. `/src`, `/root/.cache/go-build` or `/run/secrets/netrc` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK208],
                cells: &[
                    r"bad env name",
                    r"``` `1A` is not a valid environment variable name ``` (hint ``use letters, digits and `_` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK209],
                cells: &[
                    r"a cache at or above `workdir`",
                    r"``the cache mount `/work` covers `builder.workdir` `/work/src`: `run` would not see the build context there, and what it writes there is not in the builder's output`` (hint ``mount the cache below or beside the workdir (`/src/target`, `/root/.cache/go-build`), or choose another `builder.workdir` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK217],
                cells: &[
                    r"a builder `copy` source at or below a cache",
                    r"``` `/cache/target/release/app` is in the cache mount `/cache/target` (`builder.cache`, line 7): a cache mount's contents are not in the builder's output ``` (hint ``copy it out of the cache at the end of `run` (`cp -r /cache/target/release/app /out/`) and copy that, or take `/cache/target` out of `builder.cache` ``), at the copy's `from`",
                    r"check",
                ],
            },
            Row {
                codes: &[SK267],
                cells: &[
                    r#"a NUL byte (YAML's `"\0"`) in an `env` value or a `run` command"#,
                    r"``` `builder.env.GOFLAGS` contains a NUL byte ``` (hint `an environment variable cannot hold NUL`), ``a `builder.run` command contains a NUL byte`` (hint ``` `/bin/sh -c` takes the command as a C string; write the byte with `printf '\0'` in the command ```)",
                    r"check",
                ],
            },
            Row { codes: &[SK115], cells: &[r"`ssh: yes`", r"``` `builder.ssh` must be true or false ```", r"check"] },
            Row {
                codes: &[SK212],
                cells: &[
                    r"other `network`",
                    r"``` `network: bridge` is not a choice ``` (hint ``write `default`, `none` or `host` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK213],
                cells: &[
                    r"other `platform`",
                    r"``` `platform: host` is not a choice ``` (hint ``write `build` (cross-compile natively) or `target` (run emulated)``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK408],
                cells: &[
                    r"the image cannot be resolved",
                    r"``cannot resolve builder image `golang:1.23` for linux/amd64: <BuildKit's error>`` (hint `check the name and tag; with no registry access the image must already be in the builder's image store`)",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "copy",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK111],
                cells: &[
                    r"no `copy` key",
                    r"``the spec has no `copy:` section`` (hint ``list the files the image needs, e.g. `copy: [/out/app]` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK215],
                cells: &[
                    r"`copy: []`",
                    r"``` `copy` lists nothing ```, at the `copy` key (as is ``no entrypoint: …``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK111],
                cells: &[
                    r"a mapping without `from`",
                    r"``a `copy` entry has no `from` `` (hint ``add `from: /path/in/builder` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK214],
                cells: &[
                    r"a relative builder path",
                    r"``` `out/app` is a relative path in the builder ``` (hint ``write the absolute path the build writes to, e.g. `/out/out/app`, or `context:out/app` for a file of the build context``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK270],
                cells: &[
                    r"`..` in a source",
                    r"``copy source `/out/../../app` escapes the root with `..` ``, ``context path `../x` escapes the root with `..` ``, ``path in context `web` `../x` escapes the root with `..` ``",
                    r"check",
                ],
            },
            Row {
                codes: &[SK269],
                cells: &[r"relative `to`", r"``copy destination `usr/bin/app` is not an absolute path``", r"check"],
            },
            Row {
                codes: &[SK218],
                cells: &[
                    r"a file onto `/`",
                    r"``a file cannot be copied onto `/` `` (hint ``give it a destination with `to:` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK216],
                cells: &[
                    r"two entries land on one path",
                    r"``` `/out/app` is copied twice ``` (hint ``the first copy is on line 5; give one of them another `to:` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK220],
                cells: &[
                    r"a `to` above an earlier entry's `to` (not a `from` ending in `/`)",
                    r"``` `/opt/app` is copied after `/opt/app/conf/app.toml`, which is inside it: by then `/opt/app` is a directory, and this copy would land inside it ``` (hint ``list this entry before line 5 if `from` is a directory; a file cannot have files below it: give it another `to:` (e.g. `/opt/app/app`)``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK328],
                cells: &[
                    r"a file where a later entry puts files (`{from: /out/app, to: /opt/app}` then `to: /opt/app/conf/app.toml`)",
                    r"``` `/out/app` is a file, but the copy to `/opt/app/conf/app.toml` (line 6) puts files inside `/opt/app` ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK219],
                cells: &[
                    r"a directory's contents into `/`",
                    r"``` `/out/` is copied into `/`: what the build leaves there would cover the root filesystem ``` (hint ``copy it into a directory of its own (`to: /app/`), or each part where it goes (`{from: /out/bin/, to: /usr/local/bin/}`)``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK221],
                cells: &[
                    r"onto a file a rootfs piece writes",
                    r"``` `/etc/passwd` is written by `rootfs.users` and `rootfs.groups`: this copy would replace it ```, ``` `/etc/nsswitch.conf` is written by `rootfs.nsswitch`: … ``` (hint ``set `rootfs.nsswitch: false` to ship your own``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK221],
                cells: &[
                    r"inside a tree a piece writes",
                    r"``` `/usr/share/zoneinfo/UTC` is inside `/usr/share/zoneinfo`, which `rootfs.timezones` writes ``` (hint ``set `rootfs.timezones: none` to ship your own zone files``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK221],
                cells: &[
                    r"onto `/tmp`, a home or a `rootfs.dirs` path",
                    r"``` `/tmp` is the directory `rootfs.tmp` makes (mode 1777): a copy onto it replaces it ``` (hint ``copy into it rather than onto it (`to: /tmp/data/`), or set `rootfs.tmp: false` to ship your own``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK222],
                cells: &[
                    r"onto a directory the rootfs writes into, without a trailing `/` on `from`",
                    r"``` `/etc` holds `/etc/passwd` (`rootfs.users` and `rootfs.groups`): a file copied onto it would hide what the rootfs puts there ``` (hint ``to copy a directory's contents into `/etc`, end `from` with `/` (e.g. `{from: /out/etc/, to: /etc/}`)``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK277, SK278],
                cells: &[r"a risky `mode`", r"warning, see [value types](#value-types)", r"check"],
            },
            Row {
                codes: &[SK402],
                cells: &[
                    r"`context:NAME:path` and no `--build-context NAME=…`",
                    r"``no build context named `web` was passed`` (hint ``pass one: `docker buildx build --build-context web=<directory> …`, or write `context:<path>` for the main build context``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK404],
                cells: &[
                    r"a named context that is not a directory or an image (`git://…`, `https://…`, `oci-layout://…`)",
                    r"``build context `web` is a `git` context; copies read directories and images``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK326],
                cells: &[
                    r"a directory's contents copied where the rootfs writes (`{from: /out/etc/, to: /etc/}`) and the builder's directory holds `passwd`, `group`, `nsswitch.conf`, the CA bundle's path, a data file or a zone file",
                    r"``` `/out/etc/passwd` would be copied onto `/etc/passwd`, which `rootfs.users` and `rootfs.groups` writes ``` (hint: leave it out of the directory, or the piece's own switch)",
                    r"build, after `run` (contents from the build context are not looked into)",
                ],
            },
            Row {
                codes: &[SK327],
                cells: &[
                    r"the builder did not produce it",
                    r"``` `/out/app` does not exist in the builder after `run` ``` (hint ``check the path the build writes to (for Go: `go build -o /out/app .`)``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK281],
                cells: &[
                    r"so many entries that BuildKit's record of the build would pass the size of one message",
                    r"``` `copy` lists <n> entries, about <size> in BuildKit's record of the build: BuildKit writes that record in one message of at most 16.0 MiB and fails the build after the export when it is larger; the copies may take <size> ``` (hint ``copy whole directories (`- /out/files/`) instead of the files in them``)",
                    r"check",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsca-certificates",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK240],
                cells: &[
                    r"`true` without a builder",
                    r"`there is no builder to take CA certificates from` (hint ``write `ca-certificates: {from: context:path/to/ca.pem}`, or add a `builder` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK111],
                cells: &[
                    r"a mapping without `from`",
                    r"``` `rootfs.ca-certificates` has no `from` ``` (hint ``write `{from: context:certs/ca.pem}` or `true` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK115],
                cells: &[
                    r"a bare path (`ca-certificates: /x.pem`)",
                    r"``` `rootfs.ca-certificates` must be true or false ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK241],
                cells: &[
                    r"a `from` that names a directory (`/`, a trailing `/`, the bundle's own directories `/etc/ssl/certs`, `/etc/ssl`, `/etc`)",
                    r"``` `ca-certificates.from` must name one file, the PEM bundle ``` (hint ``e.g. `{from: context:certs/ca.pem}` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK214],
                cells: &[
                    r"a relative builder path in `from`",
                    r"``` `certs/ca.pem` is a relative path in the builder ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK333],
                cells: &[
                    r"the builder has no bundle at the default path",
                    r"``the builder image has no CA bundle at `/etc/ssl/certs/ca-certificates.crt` `` (hint ``install the CA bundle in the builder (Debian/Ubuntu: `apt-get install ca-certificates`, Alpine: `apk add ca-certificates`), or set `rootfs.ca-certificates: false` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK337],
                cells: &[
                    r"a `from` builder path that is a directory in the builder",
                    r"``the CA bundle `/etc/pki/certs` is a directory in the builder`` (hint ``name the PEM bundle itself, e.g. `{from: /etc/ssl/certs/ca-certificates.crt}` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK333],
                cells: &[
                    r"the builder has no file at a `from` builder path",
                    r"``the builder image has no CA bundle at `/etc/ssl/cert.pem` `` (hint ``check the path, or set `rootfs.ca-certificates: false` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK242],
                cells: &[
                    r"a `from` in a named context (`context:certs:ca.pem`)",
                    r"``` `ca-certificates.from` reads the builder or the main build context, not a named context ``` (hint ``copy the bundle from the named context with `copy` instead, or use `context:<path>` ``)",
                    r"check",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsservices-rootfsprotocols-rootfsmime-types",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK115],
                cells: &[r"not a boolean", r"``` `rootfs.services` must be true or false ```", r"check"],
            },
            Row {
                codes: &[SK243],
                cells: &[
                    r"`true` without a builder",
                    r"``there is no builder to take `/etc/services` from`` (hint ``add a `builder` that has it (Debian: `netbase`), or set `rootfs.services: false` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK336],
                cells: &[
                    r"`true` and the builder does not have it",
                    r"``` `rootfs.services: true`, but the builder image has no `/etc/services` ``` (hint ``install `netbase` in the builder (Debian/Ubuntu: `apt-get install netbase`), or set `rootfs.services: false` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK338],
                cells: &[
                    r"not set and the builder does not have it",
                    r"warning ``the builder image has no `/etc/services` or `/etc/protocols`, so the image is built without them`` (hint ``install `netbase` in the builder (Debian/Ubuntu: `apt-get install netbase`), or set `rootfs.services: false` and `rootfs.protocols: false` to go without them``); one warning per package",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfstimezones",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK245],
                cells: &[
                    r"another word",
                    r"``` `timezones: some` is not a choice ``` (hint ``write `all`, `none`, or a list such as `[Europe/Amsterdam, UTC]` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK118],
                cells: &[r"a mapping", r"``` `timezones` must be `all`, `none` or a list of zones ```", r"check"],
            },
            Row {
                codes: &[SK246],
                cells: &[
                    r"a bad name",
                    r"``` `../x` is not a time zone name ``` (hint ``write names as in the tz database, e.g. `Europe/Amsterdam` or `UTC` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK244, SK247],
                cells: &[
                    r"`all`/`true`/a list without a builder",
                    r"`there is no builder to take time zones from` (hint ``add a `builder`, or write `timezones: none` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK230],
                cells: &[
                    r"`TZ` in `image.env` with `none`",
                    r"warning ``` `TZ` is set but `rootfs.timezones` is `none` ``` (hint ``the zone will not load; list it under `rootfs.timezones` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK334],
                cells: &[
                    r"`all` and the builder has no zoneinfo",
                    r"``the builder image has no time zone database at `/usr/share/zoneinfo` `` (hint ``install `tzdata` in the builder, or set `rootfs.timezones: none` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK335],
                cells: &[
                    r"a listed zone is missing",
                    r"``time zone `Europe/Amsterdm` is not in the builder's `/usr/share/zoneinfo` `` (hint ``check the spelling (e.g. `Europe/Amsterdam`), or install `tzdata` in the builder``)",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsusers",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK261],
                cells: &[r"no `name`", r"``a user has no `name` `` (hint ``write `{name: app, uid: 10001}` ``)"],
            },
            Row {
                codes: &[SK262],
                cells: &[
                    r"no `uid`",
                    r"``user `carl` has no `uid` `` (hint ``add `uid: 10001` (any unused number above 999)``)",
                ],
            },
            Row {
                codes: &[SK257],
                cells: &[
                    r"bad name",
                    r"``` `Bob` is not a valid user name ``` (hint ``use lower-case letters, digits, `_` and `-`, starting with a letter or `_` (useradd's rule)``; for a long one `a name has at most 32 characters; this one has 34`)",
                ],
            },
            Row {
                codes: &[SK259],
                cells: &[
                    r"non-numeric uid/gid",
                    r"``uid `x` is not a number``, ``gid `y` is not a number`` (hint `write the uid as a whole number, e.g. 10001`)",
                ],
            },
            Row {
                codes: &[SK258],
                cells: &[
                    r"a uid/gid above 4294967294 or below 0 (`-1`)",
                    r"`uid 4294967296 is out of range` (hint `a uid is from 0 to 4294967294; Linux images use 1000-60000 or 65532`)",
                ],
            },
            Row {
                codes: &[SK248],
                cells: &[
                    r"a user named `nobody`, or with uid 65534",
                    r"``user `nobody` (uid 5) collides with `nobody` (uid 65534), which every image has`` (hint ``remove this entry (to run as nobody, set `image.user: nobody`), or give the user another name and uid``)",
                ],
            },
            Row {
                codes: &[SK249],
                cells: &[
                    r"two users with one uid (also a uid of 0 under another name)",
                    r"``users `gus` and `hal` share uid 5`` (hint `give each user its own uid`)",
                ],
            },
            Row {
                codes: &[SK250],
                cells: &[
                    r"one name twice (also `root` with a uid other than 0)",
                    r"``user `gus` is listed twice`` (hint `keep one entry per user name`)",
                ],
            },
            Row {
                codes: &[SK269],
                cells: &[
                    r"relative `home`/`shell`",
                    r"``home `rel` is not an absolute path``, ``shell `rel` is not an absolute path``",
                ],
            },
            Row {
                codes: &[SK260],
                cells: &[
                    r"`:` or a newline in `home`/`shell` (also through a build arg)",
                    r"``shell `/bin/a:b` contains `:` `` (hint ``` `:` separates the fields of /etc/passwd; choose a path without it ```), `` home `…` contains a newline ``",
                ],
            },
            Row {
                codes: &[SK263],
                cells: &[
                    r"a home on a system directory",
                    r"``home `/etc` is a system directory`` (hint ``a home is owned by its user with mode 0700; write `/home/c`, or `/nonexistent` for none``)",
                ],
            },
            Row {
                codes: &[SK251],
                cells: &[
                    r"two users with one home",
                    r"``users `d` and `e` share the home `/srv/app` `` (hint ``a home belongs to one user (it is owned by it, mode 0700); give `e` its own, or `home: /nonexistent` ``)",
                ],
            },
            Row {
                codes: &[SK256],
                cells: &[
                    r"a home inside another user's home",
                    r"``the home of `inner` (`/home/app/inner`) is inside the home of `app`, which only `app` may enter (mode 0700)`` (hint ``give `inner` a home of its own, e.g. `home: /home/inner` ``)",
                ],
            },
            Row {
                codes: &[SK112, SK110],
                cells: &[
                    r"`users:` with nothing, or entries that are not mappings",
                    r"``` `rootfs.users` must be a list, found nothing ```, ``` `rootfs.users[]` must be a mapping, found a single value ```",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsgroups",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK252],
                cells: &[
                    r"no `name` or no `gid`",
                    r"``a group needs `name` and `gid` `` (hint ``write `{name: app, gid: 2000}` ``)",
                ],
            },
            Row { codes: &[SK259], cells: &[r"non-numeric gid", r"``gid `x` is not a number``"] },
            Row {
                codes: &[SK253],
                cells: &[
                    r"a gid of a user's primary group or of an earlier group",
                    r"`gid 10001 is already used` (hint `give each group its own gid`)",
                ],
            },
            Row { codes: &[SK257], cells: &[r"a bad name", r"``` `Data` is not a valid group name ```"] },
            Row {
                codes: &[SK255],
                cells: &[
                    r"a name that is already a group (a user's primary group, `nogroup`, an earlier entry)",
                    r"``group `d` is defined twice: user `d` already has a primary group of that name (gid 8)``, ``group `nogroup` is defined twice: it is already defined with gid 65534`` (hint ``give each group its own name: each user has a group of its own name, and `nogroup` (65534) is always there``)",
                ],
            },
            Row {
                codes: &[SK254],
                cells: &[
                    r"a member that is not a user",
                    r"``group member `ghost` is not a user`` (hint ``add it to `rootfs.users` or remove it``)",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfslibraries",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK235],
                cells: &[
                    r"another word (`false`, `static`)",
                    r"``` `libraries: static` is not a choice ``` (hint ``write `auto` (copy what dynamic binaries need) or `none` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK332, SK316],
                cells: &[
                    r"`none` and a dynamic binary",
                    r"``` `/out/app` is dynamically linked: it needs /lib64/ld-linux-x86-64.so.2 and libc.so.6 ``` (hint ``set `rootfs.libraries: auto` to copy them, or link statically (for Go: `CGO_ENABLED=0`)``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK313],
                cells: &[
                    r"a needed library is not in the builder",
                    r"``` `/out/app` needs `libfoo.so.1`, which is not in the builder (searched /lib/x86_64-linux-gnu, …) ``` (hint `install the package that provides it in the builder image, or link statically`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK311],
                cells: &[
                    r"the binary uses `$ORIGIN`, `to` moves it, and a library is not found from its new directory",
                    r"``` `/out/app` finds libraries relative to its own directory ($ORIGIN), but is copied to `/usr/bin/app`, where `libfoo.so` is not found (searched …) ``` (hint ``copy it to the same directory (e.g. `to: /out/app`) or its libraries along with it, or link it without an $ORIGIN RUNPATH``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK301],
                cells: &[r"a directory copied cannot be listed", r"``cannot look into `/out/tree`: …``", r"build"],
            },
            Row {
                codes: &[SK308],
                cells: &[
                    r"a file inside a copied directory starts like ELF but cannot be read",
                    r"warning (one per directory): ``cannot read `/out/tree/lib/x.so` in `/out/tree` as ELF (and 3 more files): …; its libraries are not looked for``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK317],
                cells: &[
                    r"a dynamically linked file from the build context, and no `builder`",
                    r"``` `context:hello` is dynamically linked: it needs /lib64/ld-linux-x86-64.so.2 and libc.so.6, and without a `builder` there is nothing to copy them from ``` (hint ``name an image that has its libraries, e.g. `builder: {image: debian:bookworm-slim}` (no `run` needed); or link it statically (Go: `CGO_ENABLED=0`; Rust: `-C target-feature=+crt-static`)``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK315],
                cells: &[
                    r"a file from the build context is for another machine",
                    r"``` `context:hello` is built for AArch64, but the image is for linux/amd64 ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK312],
                cells: &[
                    r"a program calls `pthread_cancel`/`pthread_exit` and the builder has no `libgcc_s.so.1`",
                    r"``` `/out/app` calls pthread_cancel or pthread_exit, for which glibc opens `libgcc_s.so.1`; it is not in the builder (searched …) ``` (hint ``install it in the builder (Debian/Ubuntu: `libgcc-s1`; Fedora: `libgcc`)``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK305],
                cells: &[
                    r"a program calls `iconv_open` and the builder has no gconv directory",
                    r"warning: ``` `/out/app` calls iconv_open, but the builder has no glibc gconv modules (looked in …): only UTF-8 and ASCII will convert ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK306],
                cells: &[
                    r"a symlink in a copied directory leads to what the builder lacks too",
                    r"warning: ``` `/out/tree/x` is a symlink to `/y`, which the builder does not have either: it dangles in the image ``` (hint ``make `/y` in the builder, or leave the link out``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK307],
                cells: &[
                    r"a relative symlink leads out of a directory copied to another path",
                    r"``` `/out/tree/x` is a symlink to `../y`, outside the directory copied; in the image it would lead to `/opt/y` ``` (hint `copy the directory to the same path as in the builder, or make the link absolute`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK309],
                cells: &[
                    r"ELF files inside a copied directory are for another machine",
                    r"warning: ``` `/out/tree/x` and 2 more in `/out/tree` is built for AArch64, not linux/amd64: its libraries are not looked for ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK341],
                cells: &[
                    r"a `.note.dlopen` requires a library the builder lacks",
                    r"``` `/usr/lib/x86_64-linux-gnu/libsystemd.so.0` requires `libzstd.so.1` for its feature `zstd` (its .note.dlopen), which the builder does not have ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK341],
                cells: &[
                    r"a note segment cannot be read (cut short, not the JSON the format says, an entry without a soname, over 256 entries)",
                    r"``cannot read the ELF notes of `…`: …``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK302],
                cells: &[
                    r"the dynamic symbols of a file cannot be read",
                    r"``cannot read the dynamic symbols of `/out/app`: …`` (hint `the file may be corrupt`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK303],
                cells: &[
                    r"a gconv module the image takes cannot be read as ELF",
                    r"``cannot read `/usr/lib/x86_64-linux-gnu/gconv/libJIS.so` as ELF: …`` (hint `the gconv module may be corrupt`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK304],
                cells: &[
                    r"the gconv directory cannot be listed",
                    r"``cannot look into glibc's gconv modules: …`` (hint ``` `iconv_open` needs them ```)",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsgconv",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK290],
                cells: &[
                    r"another word",
                    r"``` `gconv: some` is not a choice ``` (hint ``write `all`, `none`, or a list of charsets such as `[CP1252, ISO-8859-15]` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK291],
                cells: &[
                    r"a name with other characters",
                    r"``` `CP 1252` is not a charset as iconv names it, e.g. `CP1252` or `ISO-8859-15` ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK288],
                cells: &[
                    r"`all` or a list without a builder",
                    r"``` there is no builder to take `rootfs.gconv` from ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK347],
                cells: &[
                    r"a charset the configuration does not know",
                    r"``` the builder's gconv configuration (`/usr/lib/x86_64-linux-gnu/gconv/gconv-modules`) has no charset `KLINGON` ``` (hint ``write a name `iconv --list` shows in the builder, …``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK345],
                cells: &[
                    r"`all` or a list, and the builder has no gconv directory",
                    r"``the builder has no glibc gconv modules (looked in …)``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK123],
                cells: &[
                    r"a mapping",
                    r"``` `gconv` must be `all`, `none` or a list of charsets ``` (hint ``e.g. `gconv: [CP1252, ISO-8859-15]` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK346],
                cells: &[
                    r"the gconv configuration cannot be read",
                    r"``cannot read glibc's gconv configuration: …`` (hint `check glibc's gconv directory in the builder`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK348],
                cells: &[
                    r"a module the configuration names is not a shared library for the machine",
                    r"``the gconv module `/usr/lib/x86_64-linux-gnu/gconv/CP1252.so` is not a shared library for this machine`` (hint `check glibc's gconv directory in the builder`)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK349],
                cells: &[
                    r"a module the configuration names cannot be read",
                    r"``cannot read the gconv module `/usr/lib/x86_64-linux-gnu/gconv/CP1252.so`: …`` (hint `the gconv configuration names a module the builder lacks or that is corrupt`)",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfsdlopen",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK291],
                cells: &[
                    r"neither a soname nor an absolute path",
                    r"``` `lib/x.so` is not a soname (`libfoo.so.1`) or an absolute path ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK288],
                cells: &[r"no builder", r"``` there is no builder to take `rootfs.dlopen` from ```", r"check"],
            },
            Row {
                codes: &[SK289],
                cells: &[
                    r"with `rootfs.libraries: none`",
                    r"``` `rootfs.dlopen` brings libraries with their closure, but `rootfs.libraries` is `none` ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK350],
                cells: &[
                    r"a soname the builder does not have",
                    r"``` `rootfs.dlopen` names `libnope.so.9`, which is not in the builder (searched /usr/local/lib, /lib/x86_64-linux-gnu, …) ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK350],
                cells: &[
                    r"a path the builder does not have",
                    r"``` `rootfs.dlopen` names `/opt/x.so`, which does not exist in the builder after `run` ```",
                    r"build",
                ],
            },
            Row {
                codes: &[SK350],
                cells: &[
                    r"a file for another machine",
                    r"``` `rootfs.dlopen` names `/opt/x.so`, which is built for AArch64 ```",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfspackages",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK291],
                cells: &[
                    r"not a Debian package name",
                    r"``` `LibPQ` is not a Debian package name, e.g. `libpq5` or `libpq5:amd64` ```",
                    r"check",
                ],
            },
            Row {
                codes: &[SK288],
                cells: &[r"no builder", r"``` there is no builder to take `rootfs.packages` from ```", r"check"],
            },
            Row {
                codes: &[SK342],
                cells: &[
                    r"a package the builder has not installed",
                    r"``` package `libpq5` is not installed in the builder image `scratchkit-test/runtimes:bookworm` ``` (hint ``install it in the builder (`apt-get install -y libpq5` in `run`), or check the name with `dpkg -l` ``)",
                    r"build",
                ],
            },
            Row {
                codes: &[SK343],
                cells: &[
                    r"its list cannot be read, or is over 64 MiB",
                    r"``cannot read `/var/lib/dpkg/info/libpq5:amd64.list`: …``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK344],
                cells: &[
                    r"a file of a listed package starts like ELF but cannot be parsed",
                    r"``cannot read `/usr/lib/x86_64-linux-gnu/libpq.so.5` as ELF: …`` (hint `reinstall the package in the builder`)",
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "imageentrypoint-imagecmd",
        columns: &["problem", "message", "when"],
        rows: &[
            Row {
                codes: &[SK227],
                cells: &[
                    r"no default and no `cmd`",
                    r"``no entrypoint: `copy` lists 2 files, so none is the obvious one`` (hint ``set `image.entrypoint: [/path/to/binary]` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK233],
                cells: &[
                    r"a relative program",
                    r"``entrypoint `app` is not an absolute path`` (hint ``a scratch image has no shell to search PATH reliably; write the full path, e.g. `/usr/local/bin/app` ``)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK234],
                cells: &[
                    r"a program nothing puts there",
                    r"``entrypoint `/bin/app` is not in the image`` (hint ``the image contains only what `copy` lists (/out/app); copy it there or fix the path``); not reported when a `copy` entry has an error of its own",
                    r"check",
                ],
            },
            Row {
                codes: &[SK339],
                cells: &[
                    r"the program is a copied directory",
                    r"``entrypoint `/out/app` is a directory in the builder`` (hint `point the entrypoint at the binary inside it`); with `cmd` and no entrypoint, ``cmd[0] `/out/app` …``",
                    r"build",
                ],
            },
            Row {
                codes: &[SK267],
                cells: &[
                    r"a NUL byte in any element (after substitution)",
                    r"``` `image.entrypoint` contains a NUL byte ```, ``` `image.cmd` contains a NUL byte ``` (hint `a program's arguments are C strings: remove it`)",
                    r"check",
                ],
            },
            Row {
                codes: &[SK340],
                cells: &[
                    r"the program has no execute bit (after the entry's `mode`)",
                    r#"``entrypoint `/out/app` is not executable (mode 0644)`` (hint ``give its copy entry `mode: "0755"` ``); with `cmd` and no entrypoint, ``cmd[0] `/out/app` …``"#,
                    r"build",
                ],
            },
        ],
    },
    Table {
        anchor: "imageuser",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK264],
                cells: &[
                    r"an unknown name",
                    r"``owner `app`: no user named `app` `` (hint ``define it under `rootfs.users`, or write a number; users are: root, nobody, nonroot``)",
                ],
            },
            Row {
                codes: &[SK228],
                cells: &[
                    r"the image runs as uid 0 (written, or by default)",
                    r"warning `the image runs as root` (hint ``leave `image.user` unset to run as `nonroot` (65532), or name a user from `rootfs.users` ``)",
                ],
            },
        ],
    },
    Table {
        anchor: "imageworkdir-env-expose-labels-stop-signal",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK269],
                cells: &[r"relative `workdir`", r"``image.workdir `data` is not an absolute path``"],
            },
            Row {
                codes: &[SK229],
                cells: &[r"bad env name", r"``` `1A` is not a valid environment variable name ```"],
            },
            Row {
                codes: &[SK114],
                cells: &[
                    r#"an env or label value left out (`A:`; a quoted `A: ""` is the empty string)"#,
                    r"``` `image.env.A` must be a single value, found nothing ```",
                ],
            },
            Row {
                codes: &[SK231],
                cells: &[
                    r"a bad port",
                    r"``` `70000` is not a port ``` (hint `write a port number with an optional protocol, e.g. 8080 or 9090/udp`)",
                ],
            },
            Row {
                codes: &[SK267],
                cells: &[
                    r"a NUL byte in an env value, a label's name or value, or `stop-signal` (after substitution)",
                    r"``` `image.env.MODE` contains a NUL byte ```, ``the name of label `team\u{0}` contains a NUL byte``, ``label `owner` contains a NUL byte``, ``` `image.stop-signal` contains a NUL byte ```",
                ],
            },
            Row {
                codes: &[SK232],
                cells: &[
                    r#"a label with an empty name (`"": x`)"#,
                    r"`a label has an empty name` (hint ``name it, e.g. `org.opencontainers.image.source` ``)",
                ],
            },
        ],
    },
    Table {
        anchor: "imagehealthcheck",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK122],
                cells: &[
                    r"`test` is a string (the shell form)",
                    r"``` `image.healthcheck.test` is a shell command, and the image has no shell ``` (hint ``write the program and its arguments as a list, e.g. `image.healthcheck.test: [/app, -health]` ``)",
                ],
            },
            Row {
                codes: &[SK283],
                cells: &[
                    r"`test: [CMD-SHELL, …]`",
                    r"``` `CMD-SHELL` runs the check with a shell, and the image has no shell ```",
                ],
            },
            Row {
                codes: &[SK111, SK282],
                cells: &[
                    r"no `test`, or only `CMD`",
                    r"``` `image.healthcheck` has no `test` ```, ``` `image.healthcheck.test` names no program ```",
                ],
            },
            Row {
                codes: &[SK233, SK234],
                cells: &[
                    r"a relative program, or one nothing puts there",
                    r"``healthcheck `app` is not an absolute path``, ``healthcheck `/bin/probe` is not in the image``",
                ],
            },
            Row {
                codes: &[SK285, SK284],
                cells: &[
                    r"a bad duration",
                    r"``` `image.healthcheck.interval` `30` is not a duration ```, ``` `image.healthcheck.timeout` `999us` is shorter than 1ms ```",
                ],
            },
            Row {
                codes: &[SK286],
                cells: &[
                    r"a negative or non-numeric `retries`",
                    r"``` `image.healthcheck.retries` `-1` is not a count ```",
                ],
            },
        ],
    },
    Table {
        anchor: "imagevolumes",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK269],
                cells: &[r"a relative path", r"``image.volumes entry `data` is not an absolute path``"],
            },
            Row {
                codes: &[SK287],
                cells: &[
                    r"a path no copy, home, `/tmp` or `rootfs.dirs` entry makes",
                    r#"warning ``volume `/cache` is not in the image: the engine makes it root's, and the image's user (65532) cannot write it`` (hint ``list it under `rootfs.dirs` with the user as owner, e.g. `{path: /cache, owner: "65532"}` ``)"#,
                ],
            },
        ],
    },
    Table {
        anchor: "build-time-checks",
        columns: &["check", "severity", "message (see the key's section for the hint)"],
        rows: &[
            Row {
                codes: &[SK327],
                cells: &[
                    r"each builder `copy` source exists",
                    r"error",
                    r"``` `/out/app` does not exist in the builder after `run` ```",
                ],
            },
            Row {
                codes: &[SK339],
                cells: &[
                    r"the program is not a directory",
                    r"error",
                    r"``entrypoint `/out/app` is a directory in the builder``",
                ],
            },
            Row {
                codes: &[SK340],
                cells: &[
                    r"the program is executable",
                    r"error",
                    r"``entrypoint `/out/app` is not executable (mode 0644)``",
                ],
            },
            Row {
                codes: &[SK330],
                cells: &[
                    r"each copied ELF file is for the target platform",
                    r"error",
                    r"``` `/out/app` is built for X86_64, but the image is for linux/arm64 ``` (hint ``cross-compile for the target: the builder has TARGETOS and TARGETARCH (for Go: `GOOS=$TARGETOS GOARCH=$TARGETARCH go build ...`)``)",
                ],
            },
            Row {
                codes: &[SK332],
                cells: &[
                    r"a dynamic binary with `libraries: none`",
                    r"error",
                    r"``` `/out/app` is dynamically linked: it needs … ```",
                ],
            },
            Row {
                codes: &[SK313],
                cells: &[
                    r"every needed library is in the builder",
                    r"error",
                    r"``` `/out/app` needs `libfoo.so.1`, which is not in the builder (searched …) ```",
                ],
            },
            Row {
                codes: &[SK311],
                cells: &[
                    r"an `$ORIGIN` binary finds its libraries from where the image has it",
                    r"error",
                    r"``` `/out/app` finds libraries relative to its own directory ($ORIGIN), but is copied to `…`, where `…` is not found ```",
                ],
            },
            Row {
                codes: &[SK313],
                cells: &[
                    r"the ELF files inside copied directories have their libraries",
                    r"error",
                    r"``` `/out/tree/ext.so` needs `libfoo.so.1`, which is not in the builder (searched …) ``` at the directory's copy entry",
                ],
            },
            Row {
                codes: &[SK333],
                cells: &[
                    r"the CA bundle is in the builder",
                    r"error",
                    r"``the builder image has no CA bundle at `/etc/ssl/certs/ca-certificates.crt` ``",
                ],
            },
            Row {
                codes: &[SK336],
                cells: &[
                    r"a data file set to `true` is in the builder",
                    r"error",
                    r"``` `rootfs.services: true`, but the builder image has no `/etc/services` ```",
                ],
            },
            Row {
                codes: &[SK338],
                cells: &[
                    r"a data file left unset is in the builder",
                    r"warning",
                    r"``the builder image has no `/etc/mime.types`, so the image is built without it``",
                ],
            },
            Row {
                codes: &[SK334, SK335],
                cells: &[
                    r"the zoneinfo (or each listed zone) is in the builder",
                    r"error",
                    r"``the builder image has no time zone database at `/usr/share/zoneinfo` ``, ``time zone `X` is not in the builder's `/usr/share/zoneinfo` ``",
                ],
            },
            Row {
                codes: &[SK331],
                cells: &[
                    r"a copied ELF file is mostly debug information: what `strip` removes (`.debug_*`, `.symtab`, `.strtab`) is at least half the file and at least 1 MiB",
                    r"note (in the daemon log and the CLI; not a buildx warning)",
                    r#"``` stripping `/out/app` would save 2097152 bytes (2.0 MiB of its 2.8 MiB): it is 72% debug information and symbols ``` (hint ``strip it (Go: `-ldflags="-s -w"`; C: `strip` or `-s`; Rust: `strip = true` in the release profile)``). A default Go build (about a third DWARF and symbols) or a Rust release build gets none: a finding on every ordinary build teaches users to ignore findings, and a program that carries its debug information works."#,
                ],
            },
            Row {
                codes: &[SK329],
                cells: &[
                    r"a copied file starts like ELF but cannot be parsed",
                    r"error",
                    r"``cannot read `/out/app` as ELF: …`` (hint `the binary may be corrupt`)",
                ],
            },
            Row {
                codes: &[SK310],
                cells: &[
                    r"a needed library starts like ELF but cannot be parsed",
                    r"error",
                    r"``` `/out/app` needs `libfoo.so.1`, which cannot be read as ELF: … ``` (hint `the library may be corrupt: reinstall the package that provides it in the builder image`)",
                ],
            },
            Row {
                codes: &[SK314],
                cells: &[
                    r"a file copied from a context starts like ELF but cannot be parsed",
                    r"error",
                    r"``cannot read `context:hello` as ELF: …`` (hint `the binary may be corrupt`)",
                ],
            },
            Row {
                codes: &[SK318],
                cells: &[
                    r"the dynamic symbols of a file from a context can be read",
                    r"error",
                    r"``cannot read the dynamic symbols of `context:hello`: …`` (hint `the file may be corrupt`)",
                ],
            },
        ],
    },
    Table {
        anchor: "the-image-check",
        columns: &["check", "message"],
        rows: &[
            Row {
                codes: &[SK319],
                cells: &[r"the program exists", r"``entrypoint `/app` cannot be started: `/app` is not in the image``"],
            },
            Row {
                codes: &[SK319],
                cells: &[
                    r"the program is a regular file",
                    r"``entrypoint `/opt/app` is not a regular file in the image: it is a directory, 0:0 0755`` (hint names the copy that made it one)",
                ],
            },
            Row {
                codes: &[SK319],
                cells: &[
                    r"the image's user may execute it",
                    r"``entrypoint `/app` cannot be executed by the image's user (uid 65532): it is a file, 0:0 0744``",
                ],
            },
            Row {
                codes: &[SK319],
                cells: &[
                    r"the user can reach it",
                    r"``entrypoint `/opt/app/bin` cannot be reached by the image's user (uid 65532): `/opt/app` is a directory, 0:0 0700``",
                ],
            },
            Row {
                codes: &[SK319],
                cells: &[
                    r"it is for the target machine",
                    r"``entrypoint `/app` is built for AARCH64, but the image is for linux/amd64``",
                ],
            },
            Row {
                codes: &[SK319],
                cells: &[
                    r"a script's interpreter is there",
                    r"``entrypoint `/app` is a script for `/bin/sh`, which the image cannot run``",
                ],
            },
            Row {
                codes: &[SK320],
                cells: &[
                    r"`/tmp`",
                    r"``` `rootfs.tmp`: `/tmp` should be a directory, 0:0 1777, but in the image it is a directory, 0:0 0755 ```",
                ],
            },
            Row {
                codes: &[SK320],
                cells: &[
                    r"each home",
                    r"``the home `/home/app` should be a directory, 1000:1000 0700, but in the image it is …``",
                ],
            },
            Row {
                codes: &[SK321],
                cells: &[
                    r"each home can be reached by its user",
                    r"``the home `/srv/app` cannot be reached by its user (uid 1000): `/srv` is a directory, 0:0 0700``",
                ],
            },
            Row {
                codes: &[SK320],
                cells: &[
                    r"each `rootfs.dirs` / `rootfs.files` entry",
                    r"``` `rootfs.dirs`: `/data` should be a directory, 1000:1000 0750, but in the image it is … ```",
                ],
            },
            Row {
                codes: &[SK322],
                cells: &[
                    r"the CA bundle and data files are files the user can read",
                    r"``the CA bundle `/etc/ssl/certs/ca-certificates.crt` is not a regular file: it is a directory, 0:0 0755``",
                ],
            },
            Row {
                codes: &[SK323],
                cells: &[
                    r"the zone database can be read",
                    r"``the time zone database cannot be read by the image's user (uid 65532): `/usr/share/zoneinfo/Europe` (a directory, 0:0 0644) and 40 more``",
                ],
            },
            Row {
                codes: &[SK324],
                cells: &[
                    r"every symlink resolves inside the image",
                    r"``` `/opt/jdk/conf/security/java.security` is a symlink to `/etc/java-17-openjdk/security/java.security`, which does not resolve in the image: `/etc/java-17-openjdk` is not in the image ```",
                ],
            },
            Row {
                codes: &[SK324],
                cells: &[
                    r"… a zone region's link into another region (`timezones: [Europe]`)",
                    r"``` `/usr/share/zoneinfo/Europe/Nicosia` is a symlink to `../Asia/Nicosia`, which does not resolve in the image: … ``` (hint ``add `Asia/Nicosia` to `rootfs.timezones`, or list `/usr/share/zoneinfo/Europe/Nicosia` under `image.accept` ``)",
                ],
            },
            Row {
                codes: &[SK325],
                cells: &[
                    r"every dynamic ELF file finds its loader and libraries",
                    r"``` `/opt/node/bin/node` needs `libz.so.1`, which is not in the image (searched …) ```",
                ],
            },
        ],
    },
    Table {
        anchor: "messages-that-apply-to-any-key",
        columns: &["message", "cause"],
        rows: &[
            Row {
                codes: &[SK110, SK117],
                cells: &[
                    r"``` `<key>` must be a mapping, found a list ``` (or `a single value`, `nothing`)",
                    r"a section or entry written as something else; hint lists its keys",
                ],
            },
            Row {
                codes: &[SK112, SK116],
                cells: &[
                    r"``` `<key>` must be a list, found a mapping ```",
                    r"a list key written as a mapping (`copy: {from: /a}`)",
                ],
            },
            Row {
                codes: &[SK114],
                cells: &[
                    r"``` `<key>` must be a single value, found a list ``` (or `a mapping`, `nothing`)",
                    r"a list or empty value where one value belongs; the hint is ``write `<key>: <value>` ``",
                ],
            },
            Row {
                codes: &[SK115],
                cells: &[r"``` `<key>` must be true or false ```", r"a boolean key with another value"],
            },
            Row {
                codes: &[SK266],
                cells: &[r"`` `${NAME}` names no build arg ``", r"see [substitution](#name-substitution)"],
            },
        ],
    },
    Table {
        anchor: "version",
        columns: &["problem", "message"],
        rows: &[Row {
            codes: &[SK207],
            cells: &[
                r"another version (`2`; `1.0` is not `1`)",
                r"``unknown spec version `2` `` (hint ``only `version: 1` exists; remove the line or write 1``)",
            ],
        }],
    },
    Table {
        anchor: "buildersecrets",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK210],
                cells: &[
                    r"no `id`",
                    r"``a secret has no `id` `` (hint ``write `{id: netrc, target: /root/.netrc}` and pass `--secret id=netrc,src=...` ``)",
                ],
            },
            Row {
                codes: &[SK211],
                cells: &[
                    r"an id that is not a name (`a/b`, `..`)",
                    r"``secret id `a/b` is not a name`` (hint ``use letters, digits, `.`, `_` and `-`, starting with a letter, digit or `_` (e.g. `netrc`)``)",
                ],
            },
            Row {
                codes: &[SK269],
                cells: &[r"a relative `target`", r"``secret target `rel` is not an absolute path``"],
            },
            Row {
                codes: &[SK268],
                cells: &[
                    r"a `target` at `/` or under `/proc`, `/sys`, `/dev`",
                    r"``secret target `/dev/x` is under `/dev` ``",
                ],
            },
            Row {
                codes: &[SK110],
                cells: &[
                    r"an entry that is not a mapping",
                    r"``` `builder.secrets[]` must be a mapping, found a single value ```",
                ],
            },
            Row {
                codes: &[SK113],
                cells: &[
                    r"`src` and other keys",
                    r"``unknown key `src` in `builder.secrets[]` `` (the file is given on the command line, not in the spec)",
                ],
            },
        ],
    },
    Table {
        anchor: "owners",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK264],
                cells: &[
                    r"a name no user has",
                    r"``owner `nonrot`: no user named `nonrot` `` (hint ``did you mean `nonroot`? users are: root, nobody, nonroot``, or ``define it under `rootfs.users`, or write a number; users are: …``)",
                ],
            },
            Row {
                codes: &[SK264],
                cells: &[r"a name no group has (after the `:`)", r"``owner `nonroot:wheel`: no group named `wheel` ``"],
            },
            Row {
                codes: &[SK258],
                cells: &[
                    r"an id above 4294967294 or below 0 (`-1`), for the uid or the gid after the `:`",
                    r"``owner `4294967295`: uid 4294967295 is out of range`` (hint ``a uid is from 0 to 4294967294; Linux images use 1000-60000 or 65532``)",
                ],
            },
        ],
    },
    Table {
        anchor: "rootfspackage-metadata",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK236],
                cells: &[
                    r"`true` without a builder",
                    r"``there is no builder to describe packages of`` (hint ``package metadata lists the builder's Debian packages whose files the image has; remove `package-metadata: true` or add a `builder` ``)",
                ],
            },
            Row {
                codes: &[SK115],
                cells: &[r"not a boolean", r"``` `rootfs.package-metadata` must be true or false ```"],
            },
        ],
    },
    Table {
        anchor: "rootfsdirs",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK224],
                cells: &[r"no `path`", r#"``a dir has no `path` `` (hint ``write `{path: /data, mode: "0750"}` ``)"#],
            },
            Row {
                codes: &[SK225],
                cells: &[
                    r"a path listed twice with another mode or owner",
                    r"``` `/data` is listed twice in `rootfs.dirs`, with another mode or owner than on line 4 ``` (hint `keep one entry for it`)",
                ],
            },
            Row { codes: &[SK269], cells: &[r"a relative path", r"``dir path `rel` is not an absolute path``"] },
        ],
    },
    Table {
        anchor: "rootfsfiles",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK226],
                cells: &[
                    r"no `path` or no `content`",
                    r#"``a file needs `path` and `content` `` (hint ``write `{path: /etc/app/motd, content: "hello\n"}` ``)"#,
                ],
            },
            Row { codes: &[SK269], cells: &[r"a relative path", r"``file path `rel` is not an absolute path``"] },
            Row {
                codes: &[SK110],
                cells: &[
                    r"an entry that is a path alone",
                    r"``` `rootfs.files[]` must be a mapping, found a single value ```",
                ],
            },
        ],
    },
    Table {
        anchor: "platforms",
        columns: &["problem", "message"],
        rows: &[
            Row {
                codes: &[SK238],
                cells: &[
                    r"a platform `platforms` lists twice (after normalizing)",
                    r"warning ``platform `linux/amd64` is listed twice`` (hint `it is built once; remove the repeat`)",
                ],
            },
            Row {
                codes: &[SK237],
                cells: &[
                    r"a platform `--platform` names twice",
                    r"warning ``platform `linux/amd64` is requested twice`` (hint ``it is built once; remove the repeat from `--platform` ``)",
                ],
            },
            Row {
                codes: &[SK239],
                cells: &[
                    r"not `os/arch[/variant]`",
                    r"``` `linux` is not a platform; write it as os/arch[/variant], e.g. linux/arm64 ```",
                ],
            },
            Row {
                codes: &[SK239],
                cells: &[
                    r"another OS",
                    r"``` `windows/amd64`: scratchkit builds Linux images only (`linux/<arch>`), not `windows` ```",
                ],
            },
            Row {
                codes: &[SK239],
                cells: &[
                    r"another architecture",
                    r"``` `linux/mips`: `mips` is not an architecture scratchkit builds for; they are amd64, arm64, arm, 386, riscv64, ppc64le, s390x ```",
                ],
            },
            Row {
                codes: &[SK239],
                cells: &[
                    r"a variant the architecture does not have",
                    r"``` `linux/arm/v8`: `v8` is not a variant of arm; arm has v5, v6 and v7 (the default) ```",
                ],
            },
        ],
    },
    Table {
        anchor: "targets",
        columns: &["problem", "message"],
        rows: &[Row {
            codes: &[SK223],
            cells: &[r"another name", r"``unknown target `foo` `` (hint `the targets are: default, debug`)"],
        }],
    },
];

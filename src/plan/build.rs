//! Spec → Plan: every check and every default, collected into one pass that reports all problems.

use crate::rules::codes::*;
use std::collections::{BTreeMap, HashSet};

use super::paths::AbsPath;
use super::rootfs::rootfs_spans;
use super::values::MAX_EXPANDED_TOTAL;
use super::*;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::platform::Platform;
use crate::rules::Rule;
use crate::spec::{self};

/// What the plan needs from outside the spec: build args and platforms given on the command line.
#[derive(Clone, Debug, Default)]
pub struct PlanInputs {
    /// `--build-arg NAME=VALUE`.
    pub build_args: BTreeMap<String, String>,
    /// `--platform`; empty means the spec's `platforms:` or else `default_platform`.
    pub platforms: Vec<Platform>,
    /// What BuildKit builds for when nothing else says (its first worker platform).
    pub default_platform: Option<Platform>,
    /// `--target`; empty or `default` is the normal image.
    pub target: Option<String>,
}

/// Validates a spec and fills its defaults. Warnings come back with the plan; errors instead of it.
pub fn plan(spec: &spec::Spec, inputs: &PlanInputs) -> Result<(Plan, Diagnostics), Diagnostics> {
    let mut p = Planner {
        diags: Diagnostics::default(),
        args: BTreeMap::new(),
        suggestions: SUGGESTIONS,
        expansion_left: MAX_EXPANDED_TOTAL,
        failed_users: HashSet::new(),
        caches: Vec::new(),
    };
    let plan = p.plan(spec, inputs);
    if p.diags.has_errors() {
        Err(p.diags.sorted())
    } else {
        Ok((plan, p.diags.sorted()))
    }
}

pub(super) struct Planner {
    pub(super) diags: Diagnostics,
    pub(super) args: BTreeMap<String, String>,
    /// How many more "did you mean" searches over a user-sized list may run.
    pub(super) suggestions: usize,
    /// How many more bytes substitution may add to the spec's values.
    pub(super) expansion_left: usize,
    /// Listed users whose entry has an error: not in the image, but not unknown either, so naming them
    /// elsewhere (a group member, an owner) adds no second error for the same mistake.
    pub(super) failed_users: HashSet<String>,
    /// The builder's cache mounts and where each is written: what `run` writes below one is not in the
    /// builder's output, so no copy can take it from there.
    pub(super) caches: Vec<(AbsPath, Span)>,
}

const SUGGESTIONS: usize = 32;

impl Planner {
    pub(super) fn error(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::error(rule, span, message).hint(hint));
    }

    pub(super) fn warn(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::warning(rule, span, message).hint(hint));
    }

    fn plan(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Plan {
        if let Some(v) = &spec.version {
            if v.value != "1" {
                self.error(
                    SK207,
                    v.span,
                    format!("unknown spec version `{}`", v.value),
                    "only `version: 1` exists; remove the line or write 1",
                );
            }
        }
        self.args(spec, inputs);
        let builder = spec.builder.as_ref().and_then(|b| self.builder(b));
        let accounts = self.accounts(&spec.rootfs);
        // A builder without `run` is legal and not warned about: it is a file source (a program copied out of
        // a published image) or, for files copied from a context, where their libraries come from.
        let copies = self.copies(spec, builder.is_some(), &accounts);
        let (rootfs, zones_off) = self.rootfs(&spec.rootfs, &accounts, builder.is_some());
        let libraries = self.libraries(&spec.rootfs);
        let package_metadata = self.package_metadata(spec, builder.is_some());
        let (extras, problems) = extras::extras(&spec.rootfs, builder.is_some(), libraries);
        problems.into_iter().for_each(|d| self.diags.push(d));
        let rootfs_files = self.over_rootfs(&copies, &rootfs, &accounts, package_metadata);
        let image = self.image(spec, &copies, &accounts, &rootfs, zones_off);
        let platforms = self.platforms(spec, inputs);
        let epoch = self.epoch(spec, inputs);
        let target = self.target(inputs);
        let debug_image = self.debug_image(spec);
        let rootfs_spans = rootfs_spans(&spec.rootfs);
        Plan {
            builder,
            copies,
            rootfs_files,
            rootfs,
            rootfs_spans,
            libraries,
            package_metadata,
            extras,
            image,
            platforms,
            epoch,
            target,
            debug_image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

    #[test]
    fn a_platform_requested_twice_is_built_once_with_a_warning() {
        let inputs =
            PlanInputs { platforms: vec![Platform::linux_amd64(), Platform::linux_amd64()], ..PlanInputs::default() };
        let (plan, warnings) = plan(&spec::load(BUILDER).expect("the spec loads"), &inputs).expect("it plans");
        assert_eq!(plan.platforms, [Platform::linux_amd64()]);
        assert!(warnings.has(SK237), "{warnings:?}");
    }

    #[test]
    fn a_builder_without_run_is_legal_without_a_warning() {
        // A file source (a program copied out of a published image), or where a context binary's libraries
        // come from: a warning on either would be one users learn to ignore.
        for copy in ["/usr/bin/env", "context:hello"] {
            let (_, warnings) =
                planned(&format!("builder:\n  image: debian:bookworm-slim\ncopy: [\"{copy}\"]\n")).expect("it plans");
            assert!(warnings.items.is_empty(), "{copy}: {:?}", warnings.items);
        }
    }

    fn planned(text: &str) -> Result<(Plan, Diagnostics), Diagnostics> {
        plan(&spec::load(text).expect("the spec loads"), &PlanInputs::default())
    }

    fn ok(text: &str) -> Plan {
        planned(text).unwrap_or_else(|e| panic!("{text}: {e:?}")).0
    }

    fn errors(text: &str) -> Vec<String> {
        planned(text).err().unwrap_or_else(|| panic!("{text} planned")).errors().map(|d| d.message.clone()).collect()
    }

    /// The codes of the errors, in order.
    fn codes(text: &str) -> Vec<&'static str> {
        planned(text).err().unwrap_or_else(|| panic!("{text} planned")).errors().map(|d| d.rule.code).collect()
    }

    fn with_args(text: &str, args: &[(&str, &str)]) -> Result<(Plan, Diagnostics), Diagnostics> {
        let build_args = args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        plan(&spec::load(text).expect("the spec loads"), &PlanInputs { build_args, ..PlanInputs::default() })
    }

    #[test]
    fn context_name_colon_path_reads_a_named_context() {
        let spec = "builder: {image: golang:1.23, run: make}\nimage: {entrypoint: [/out/app]}\ncopy:\n  - /out/app\n  - {from: \"context:web-1.x:dist/\", to: /srv/}\n  - {from: \"context:./a:b\", to: /x}\n  - {from: \"context:Web:y\", to: /y}\n  - {from: \"context:web:z\"}\n";
        let froms: Vec<(Source, String)> = ok(spec).copies.into_iter().map(|c| (c.from, c.dest.to_string())).collect();
        assert_eq!(froms[1], (Source::Named { name: "web-1.x".into(), path: "dist".into() }, "/srv".into()));
        // Not a context name (`./`, upper case): a path of the main context.
        assert_eq!(froms[2], (Source::Context("a:b".into()), "/x".into()));
        assert_eq!(froms[3], (Source::Context("Web:y".into()), "/y".into()));
        // No `to`: the path, as for the main context.
        assert_eq!(froms[4], (Source::Named { name: "web".into(), path: "z".into() }, "/z".into()));
        let errs = codes("builder: {image: golang:1.23, run: make}\ncopy:\n  - {from: \"context:web:../x\", to: /x}\n");
        assert_eq!(errs, [SK270.code]);
        let errs = codes("builder: {image: golang:1.23, run: make}\ncopy: [/out/app]\nrootfs: {ca-certificates: {from: \"context:certs:ca.pem\"}}\n");
        assert_eq!(errs, [SK242.code]);
        assert!(
            is_context_name("a")
                && is_context_name("0x_y.z-1")
                && !is_context_name("")
                && !is_context_name("-a")
                && !is_context_name("a/b")
        );
    }

    #[test]
    fn source_date_epoch_is_honoured_declared_or_not() {
        let (plan, _) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", "1700000000")]).unwrap();
        assert_eq!(plan.epoch, Some(1_700_000_000));
        let declared = format!("args: {{SOURCE_DATE_EPOCH: \"0\"}}\n{BUILDER}");
        assert_eq!(with_args(&declared, &[("SOURCE_DATE_EPOCH", "1700000001")]).unwrap().0.epoch, Some(1_700_000_001));
        assert_eq!(with_args(&declared, &[]).unwrap().0.epoch, Some(0));
        assert_eq!(ok(BUILDER).epoch, None);
    }

    #[test]
    fn a_source_date_epoch_past_what_file_times_hold_is_a_warning_and_no_created() {
        assert_eq!(
            with_args(BUILDER, &[("SOURCE_DATE_EPOCH", &MAX_EPOCH.to_string())]).unwrap().0.epoch,
            Some(9_223_372_036)
        );
        // 2262-04-11T23:47:17Z; 10000-01-01T00:00:00Z, whose `created` was `10000-01-01T00:00:00Z`; i64::MAX.
        for late in ["9223372037", "253402300800", "9223372036854775807"] {
            let (plan, warnings) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", late)]).unwrap();
            assert_eq!(plan.epoch, None, "{late}");
            assert!(warnings.has(SK205), "{late}: {warnings:?}");
        }
    }

    #[test]
    fn a_source_date_epoch_that_is_not_seconds_is_a_warning() {
        for bad in ["yesterday", "-5", "1.5", ""] {
            let (plan, warnings) = with_args(BUILDER, &[("SOURCE_DATE_EPOCH", bad)]).unwrap();
            assert_eq!(plan.epoch, None, "{bad:?}");
            assert!(warnings.has(SK206), "{bad:?}: {warnings:?}");
        }
    }

    /// The data-file pieces in plan order: (key, line the spec asked for it on).
    fn data_files(plan: &Plan) -> Vec<(&'static str, Option<usize>)> {
        plan.rootfs
            .iter()
            .filter_map(|p| {
                if let Piece::DataFile { file, requested } = p {
                    Some((file.key(), requested.map(|s| s.line)))
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn data_files_are_on_by_default_right_after_the_ca_bundle() {
        let plan = ok(BUILDER);
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None), ("mime-types", None)]);
        let names: Vec<&str> = plan.rootfs.iter().map(Piece::name).collect();
        assert_eq!(
            names,
            ["users", "home", "tmp", "nsswitch", "ca-certificates", "services", "protocols", "mime-types", "timezones"]
        );
        let paths: Vec<&str> = DataFile::ALL.iter().map(|f| f.path()).collect();
        assert_eq!(paths, ["/etc/services", "/etc/protocols", "/etc/mime.types"]);
        let packages: Vec<&str> = DataFile::ALL.iter().map(|f| f.package()).collect();
        assert_eq!(packages, ["netbase", "netbase", "media-types"]);
    }

    #[test]
    fn each_data_file_can_be_switched_off_or_asked_for() {
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: true\n"));
        assert_eq!(data_files(&plan), [("protocols", Some(7)), ("mime-types", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  mime-types: false\n"));
        assert_eq!(data_files(&plan), [("services", None), ("protocols", None)]);
        let plan = ok(&format!("{BUILDER}rootfs:\n  services: false\n  protocols: false\n  mime-types: false\n"));
        assert!(data_files(&plan).is_empty());
    }

    #[test]
    fn without_a_builder_data_files_are_off_and_asking_for_one_is_an_error() {
        let context_only = "copy: [{from: dist/app, to: /app}]\nrootfs:\n  ca-certificates: false\n  timezones: none\n";
        assert!(data_files(&ok(context_only)).is_empty());
        let errs = errors(&format!("{context_only}  mime-types: true\n"));
        assert_eq!(errs, ["there is no builder to take `/etc/mime.types` from"]);
    }

    #[test]
    fn nobody_and_root_home_are_always_there() {
        let plan = ok(BUILDER);
        let Some(Piece::Accounts(accounts)) = plan.rootfs.first() else { panic!("no accounts piece") };
        assert_eq!(
            accounts.passwd(),
            "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
        );
        assert_eq!(accounts.group(), "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n");
        let Some(Piece::Homes(homes)) = plan.rootfs.get(1) else { panic!("no homes piece") };
        let homes: Vec<(&str, Owner)> = homes.iter().map(|h| (h.path.as_str(), h.owner)).collect();
        assert_eq!(homes, [("/root", Owner::ROOT), ("/home/nonroot", Owner { uid: NONROOT_UID, gid: NONROOT_UID })]);
        // nobody is not the default user: the first listed one is.
        assert_eq!(plan.image.user, Owner { uid: NONROOT_UID, gid: NONROOT_UID });
    }

    #[test]
    fn the_image_can_run_as_nobody_and_without_listed_users_runs_as_root() {
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let plan = ok(&format!("{BUILDER}image:\n  user: nobody:nogroup\n"));
        assert_eq!(plan.image.user, Owner { uid: NOBODY_UID, gid: NOBODY_UID });
        let (plan, warnings) = planned(&format!("{BUILDER}rootfs:\n  users: []\n")).unwrap();
        assert_eq!(plan.image.user, Owner::ROOT);
        assert!(warnings.has(SK228), "{warnings:?}");
    }

    #[test]
    fn listed_users_and_groups_cannot_take_nobody_or_nogroup() {
        let errs = errors(&format!(
            "{BUILDER}rootfs:\n  users:\n    - {{name: nobody, uid: 1000}}\n    - {{name: daemon, uid: 65534}}\n    - {{name: app, uid: 10001}}\n  groups:\n    - {{name: nogroup, gid: 3000}}\n    - {{name: app, gid: 3001}}\n    - {{name: extra, gid: 65534}}\n"
        ));
        assert_eq!(
            errs,
            [
                "user `nobody` (uid 1000) collides with `nobody` (uid 65534), which every image has",
                "user `daemon` (uid 65534) collides with `nobody` (uid 65534), which every image has",
                "group `nogroup` is defined twice: it is already defined with gid 65534",
                "group `app` is defined twice: user `app` already has a primary group of that name (gid 10001)",
                "gid 65534 is already used",
            ]
        );
    }

    #[test]
    fn a_copy_onto_a_directory_an_earlier_copy_made_is_an_error() {
        let spec = "builder: {image: golang, run: make}\ncopy: [{from: /out/conf/app.toml, to: /opt/app/conf/app.toml}, {from: /out/app, to: /opt/app}]\nimage: {entrypoint: [/opt/app]}\n";
        let errs = errors(spec);
        assert_eq!(
            errs,
            ["`/opt/app` is copied after `/opt/app/conf/app.toml`, which is inside it: by then `/opt/app` is a directory, and this copy would land inside it"]
        );
        // Listed first (a directory copied whole, then a file into it), or a directory's contents: fine.
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/app, to: /opt/app}, {from: /out/conf/app.toml, to: /opt/app/conf/app.toml}]\nimage: {entrypoint: [/opt/app/bin/app]}\n");
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/conf/app.toml, to: /opt/app/conf/app.toml}, {from: /out/site/, to: /opt/app/}, /out/app]\nimage: {entrypoint: [/out/app]}\n");
        // A sibling that only shares a prefix is not inside.
        ok("builder: {image: golang, run: make}\ncopy: [{from: /out/a, to: /opt/app2/a}, {from: /out/app, to: /opt/app}]\nimage: {entrypoint: [/opt/app]}\n");
    }

    #[test]
    fn a_ca_bundle_from_its_own_directory_is_an_error() {
        for from in ["/etc/ssl/certs", "/etc/ssl", "/etc/ssl/certs/"] {
            let spec = format!("builder: {{image: golang, run: make}}\ncopy: [/out/app]\nrootfs: {{ca-certificates: {{from: {from}}}}}\n");
            assert_eq!(errors(&spec), ["`ca-certificates.from` must name one file, the PEM bundle"], "{from}");
        }
        ok("builder: {image: golang, run: make}\ncopy: [/out/app]\nrootfs: {ca-certificates: {from: /etc/ssl/certs/ca-bundle.pem}}\n");
    }

    #[test]
    fn a_dir_listed_twice_is_made_once_and_two_ways_is_an_error() {
        let plan = ok("copy: [context:app]\nrootfs: {dirs: [/data/a, /data, /data/a]}\n");
        let Some(Piece::Dirs(dirs)) = plan.rootfs.iter().find(|p| matches!(p, Piece::Dirs(_))) else {
            panic!("no dirs")
        };
        let paths: Vec<&str> = dirs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/data/a", "/data"]);
        assert_eq!(
            errors("copy: [context:app]\nrootfs: {dirs: [/data, {path: /data, mode: \"0700\"}]}\n"),
            ["`/data` is listed twice in `rootfs.dirs`, with another mode or owner than on line 2"]
        );
    }

    #[test]
    fn a_home_inside_another_users_home_is_an_error_at_the_inner_user() {
        let spec = "copy: [context:app]\nrootfs:\n  users:\n    - {name: inner, uid: 1001, home: /home/app/inner}\n    - {name: app, uid: 1000}\n";
        assert_eq!(errors(spec), ["the home of `inner` (`/home/app/inner`) is inside the home of `app`, which only `app` may enter (mode 0700)"]);
        ok("copy: [context:app]\nrootfs:\n  users: [{name: app, uid: 1000}, {name: other, uid: 1001, home: /home/app2}]\n");
    }
}

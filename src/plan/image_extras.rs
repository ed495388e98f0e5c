//! `image.healthcheck` and `image.volumes`: what a Dockerfile's `HEALTHCHECK` and `VOLUME` put in the
//! image config, with the Dockerfile frontend's rules for the values.

use super::build::Planner;
use super::{AbsPath, Copy, Owner, Piece};
use crate::diag::Span;
use crate::rules::codes::*;
use crate::spec::{self, Str};

/// The config's `Healthcheck`. A zero duration or retry count leaves the engine's default (interval and
/// timeout 30s, start period 0s, start interval 5s, 3 retries), as an unset `HEALTHCHECK` flag does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Healthcheck {
    /// `CMD`, then the program and its arguments (the exec form).
    pub test: Vec<String>,
    /// Nanoseconds, as the config holds them.
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i32,
}

/// The shortest duration other than 0 the engine takes (Docker's `MinimumDuration`).
const MIN_DURATION: i64 = 1_000_000;

impl Planner {
    pub(super) fn healthcheck(
        &mut self,
        h: &spec::Healthcheck,
        program: impl FnOnce(&mut Self, &str, Span),
    ) -> Option<Healthcheck> {
        let test = h.test.as_ref()?;
        let mut args: Vec<String> = test
            .value
            .iter()
            .map(|s| {
                let text = self.text(s);
                self.no_nul(
                    s.span,
                    "`image.healthcheck.test`",
                    &text,
                    "a program's arguments are C strings: remove it",
                );
                text
            })
            .collect();
        // Docker's own spelling of the exec form (`[CMD, /app]`, as in compose files) means the same.
        if args.first().is_some_and(|a| a == "CMD") {
            args.remove(0);
        }
        let first = test.value.get(test.value.len() - args.len()).map_or(test.span, |s| s.span);
        match args.first().map(String::as_str) {
            None => self.error(
                SK282,
                test.span,
                "`image.healthcheck.test` names no program",
                "write the program and its arguments, e.g. `test: [/app, -health]`",
            ),
            Some("CMD-SHELL") => self.error(
                SK283,
                first,
                "`CMD-SHELL` runs the check with a shell, and the image has no shell",
                "write the program and its arguments as a list, e.g. `test: [/app, -health]`",
            ),
            Some(p) => program(self, p, first),
        }
        let interval = self.duration(h.interval.as_ref(), "interval");
        let timeout = self.duration(h.timeout.as_ref(), "timeout");
        let start_period = self.duration(h.start_period.as_ref(), "start-period");
        let start_interval = self.duration(h.start_interval.as_ref(), "start-interval");
        let retries = h.retries.as_ref().map_or(0, |r| self.retries(r));
        let test = std::iter::once("CMD".to_string()).chain(args).collect();
        Some(Healthcheck { test, interval, timeout, start_period, start_interval, retries })
    }

    /// A duration as Go writes one (`30s`, `1m30s`, `1.5h`, `500ms`): 0, or at least 1ms.
    fn duration(&mut self, s: Option<&Str>, key: &str) -> i64 {
        let Some(s) = s else { return 0 };
        let text = self.text(s);
        match parse_duration(&text) {
            Some(0) => 0,
            Some(ns) if ns >= MIN_DURATION => ns,
            Some(_) => {
                self.error(
                    SK284,
                    s.span,
                    format!("`image.healthcheck.{key}` `{text}` is shorter than 1ms"),
                    "write 0 for the engine's default, or at least `1ms`",
                );
                0
            }
            None => {
                let shown = crate::diag::escape(&text, 64);
                self.error(
                    SK285,
                    s.span,
                    format!("`image.healthcheck.{key}` `{shown}` is not a duration"),
                    "write a number with a unit: `30s`, `1m30s`, `500ms`",
                );
                0
            }
        }
    }

    fn retries(&mut self, s: &Str) -> i32 {
        let text = self.text(s);
        text.parse::<i32>().ok().filter(|n| *n >= 0).unwrap_or_else(|| {
            let shown = crate::diag::escape(&text, 64);
            self.error(
                SK286,
                s.span,
                format!("`image.healthcheck.retries` `{shown}` is not a count"),
                "write a whole number, e.g. `retries: 3` (0 is the engine's default)",
            );
            0
        })
    }

    /// `image.volumes`, sorted, each once. A mount point the image does not have is made by the engine as
    /// root's, mode 0755: the image's user could not write its volume, which a warning says.
    pub(super) fn volumes(&mut self, list: &[Str], copies: &[Copy], rootfs: &[Piece], user: Owner) -> Vec<AbsPath> {
        let mut out: Vec<AbsPath> = Vec::new();
        for s in list {
            let Some(path) = self.abs_path(s, "image.volumes entry") else { continue };
            let made = rootfs.iter().any(|p| match p {
                Piece::Tmp => path == *super::tmp_path(),
                Piece::Homes(homes) => homes.iter().any(|h| h.path == path),
                Piece::Dirs(dirs) => dirs.iter().any(|d| d.path == path),
                _ => false,
            });
            let copied = copies.iter().any(|c| path.starts_with(&c.dest));
            if !made && !copied && user.uid != 0 {
                self.warn(
                    SK287,
                    s.span,
                    format!("volume `{path}` is not in the image: the engine makes it root's, and the image's user ({}) cannot write it", user.uid),
                    format!("list it under `rootfs.dirs` with the user as owner, e.g. `{{path: {path}, owner: \"{}\"}}`", user.uid),
                );
            }
            out.push(path);
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Go's `time.ParseDuration` without a sign: one or more `<number><unit>`, or a bare `0`. `None` when it
/// is not one or does not fit the config's nanoseconds (an `int64`).
pub fn parse_duration(text: &str) -> Option<i64> {
    match text {
        "0" => return Some(0),
        "" => return None,
        _ => {}
    }
    let mut rest = text;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && frac.is_empty()) || frac.contains('.') || whole.len() > 20 {
            return None;
        }
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        // Digits past nanoseconds change nothing: at most 18 are read (an hour is 3.6e12 ns).
        let frac_digits = &frac[..frac.len().min(18)];
        let frac_value: i128 = if frac_digits.is_empty() { 0 } else { frac_digits.parse().ok()? };
        total += whole * scale + frac_value * scale / 10i128.pow(frac_digits.len() as u32);
        if total > i128::from(i64::MAX) {
            return None;
        }
        rest = tail;
    }
    i64::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use crate::diag::Diagnostics;
    use crate::plan::{plan, PlanInputs};
    use crate::spec;

    const APP: &str = "builder: {image: golang:1.23, run: make}\ncopy: [/out/app]\n";

    fn planned(image: &str) -> Result<Diagnostics, Diagnostics> {
        let text = format!("{APP}image:\n{image}");
        match spec::load(&text) {
            Ok(s) => plan(&s, &PlanInputs::default()).map(|(_, w)| w),
            Err(e) => Err(e),
        }
    }

    /// Each error as `line:column message`.
    fn errors(image: &str) -> Vec<String> {
        let diags = planned(image).err().unwrap_or_else(|| panic!("{image} planned"));
        diags
            .errors()
            .map(|d| format!("{}:{} {}", d.span.map_or(0, |s| s.line), d.span.map_or(0, |s| s.column), d.message))
            .collect()
    }

    #[test]
    fn a_shell_form_is_refused_where_it_is_written() {
        assert_eq!(
            errors("  healthcheck: {test: curl -f localhost}\n"),
            ["4:23 `image.healthcheck.test` is a shell command, and the image has no shell"]
        );
        assert_eq!(
            errors("  healthcheck: {test: [CMD-SHELL, curl -f localhost]}\n"),
            ["4:24 `CMD-SHELL` runs the check with a shell, and the image has no shell"]
        );
        assert_eq!(errors("  healthcheck: {test: [CMD]}\n"), ["4:23 `image.healthcheck.test` names no program"]);
        assert_eq!(errors("  healthcheck: {interval: 5s}\n"), ["4:16 `image.healthcheck` has no `test`"]);
    }

    #[test]
    fn the_program_is_checked_as_the_entrypoint_is() {
        assert_eq!(
            errors("  healthcheck: {test: [app, -health]}\n"),
            ["4:24 healthcheck `app` is not an absolute path"]
        );
        assert_eq!(
            errors("  healthcheck: {test: [CMD, /bin/probe]}\n"),
            ["4:29 healthcheck `/bin/probe` is not in the image"]
        );
    }

    #[test]
    fn durations_and_retries_follow_the_dockerfile_flags() {
        let errs =
            errors("  healthcheck: {test: [/out/app], interval: 30, timeout: 999us, start-period: -1s, retries: -1}\n");
        assert_eq!(
            errs,
            [
                "4:45 `image.healthcheck.interval` `30` is not a duration",
                "4:58 `image.healthcheck.timeout` `999us` is shorter than 1ms",
                "4:79 `image.healthcheck.start-period` `-1s` is not a duration",
                "4:93 `image.healthcheck.retries` `-1` is not a count",
            ]
        );
        assert!(planned("  healthcheck: {test: [/out/app], interval: 0, timeout: 1ms, retries: 0}\n").is_ok());
    }

    #[test]
    fn a_volume_the_user_cannot_write_is_a_warning() {
        let warnings = planned("  volumes: [/cache]\n").expect("it plans");
        let messages: Vec<&str> = warnings.warnings().map(|w| w.message.as_str()).collect();
        assert_eq!(messages, ["volume `/cache` is not in the image: the engine makes it root's, and the image's user (65532) cannot write it"]);
        let owned = "rootfs: {dirs: [{path: /cache, owner: nonroot}]}\n";
        let text = format!("{APP}{owned}image:\n  volumes: [/cache, /out/app]\n");
        let (_, warnings) = plan(&spec::load(&text).unwrap(), &PlanInputs::default()).expect("it plans");
        assert!(warnings.items.is_empty(), "{:?}", warnings.items);
        assert_eq!(errors("  volumes: [data]\n"), ["4:13 image.volumes entry `data` is not an absolute path"]);
    }

    #[test]
    fn durations_read_as_go_reads_them() {
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("30s"), Some(30_000_000_000));
        assert_eq!(parse_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(parse_duration(".5s"), Some(500_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("2us"), Some(2_000));
        assert_eq!(parse_duration("1µs"), Some(1_000));
        assert_eq!(parse_duration("7ns"), Some(7));
        assert_eq!(parse_duration("2562047h"), Some(2_562_047 * 3_600_000_000_000));
        // The limits themselves: 20 digits are read, and i64::MAX nanoseconds is a duration.
        assert_eq!(parse_duration("00000000000000000001ns"), Some(1));
        assert_eq!(parse_duration("9223372036854775807ns"), Some(i64::MAX));
        assert_eq!(parse_duration("9223372036854775808ns"), None);
        assert_eq!(parse_duration("000000000000000000001ns"), None);
        for bad in ["", "30", "s", "-1s", "+1s", "1d", "1..5s", ".s", "1 s", "2562048h", "99999999999999999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}

//! `image`: its environment and exposed ports.

use super::*;

#[test]
fn tz_is_a_warning_only_when_time_zones_are_off() {
    let tz_warnings = |rootfs: &str, env: &str| {
        diagnostics(&format!("{BUILDER}{rootfs}image:\n  env: {env}\n"), &[])
            .into_iter()
            .filter(|d| d.1.contains("TZ"))
            .count()
    };
    assert_eq!(tz_warnings("rootfs: {timezones: none}\n", "{TZ: Europe/Amsterdam}"), 1);
    assert_eq!(tz_warnings("", "{TZ: Europe/Amsterdam}"), 0);
    assert_eq!(tz_warnings("rootfs: {timezones: none}\n", "{TZZ: x}"), 0, "another name");
}

#[test]
fn port_0_is_not_a_port() {
    let errs = errors(&format!("{BUILDER}image:\n  expose: [\"0\", \"0/udp\", \"1\"]\n"), &[]);
    assert_eq!(errs.len(), 2, "{errs:?}");
}

//! The OCI image config JSON. Keys are written in a fixed order and maps sorted, so the JSON (and its
//! digest) only changes when the image does.

use serde_json::{json, Map, Value};

use crate::plan::Plan;
use crate::platform::Platform;

pub fn image_config(plan: &Plan, platform: &Platform) -> Value {
    let i = &plan.image;
    let mut config = Map::new();
    config.insert("User".into(), json!(i.user.to_string()));
    config.insert("Env".into(), json!(i.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()));
    if let Some(e) = &i.entrypoint {
        config.insert("Entrypoint".into(), json!(e));
    }
    if let Some(c) = &i.cmd {
        config.insert("Cmd".into(), json!(c));
    }
    config.insert("WorkingDir".into(), json!(i.workdir.to_string()));
    if !i.exposed_ports.is_empty() {
        let ports: Map<String, Value> = i.exposed_ports.iter().map(|p| (p.clone(), json!({}))).collect();
        config.insert("ExposedPorts".into(), Value::Object(ports));
    }
    if !i.labels.is_empty() {
        let labels: Map<String, Value> = i.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        config.insert("Labels".into(), Value::Object(labels));
    }
    if let Some(s) = &i.stop_signal {
        config.insert("StopSignal".into(), json!(s));
    }
    let mut root = Map::new();
    root.insert("architecture".into(), json!(platform.architecture));
    root.insert("os".into(), json!(platform.os));
    if let Some(v) = &platform.variant {
        root.insert("variant".into(), json!(v));
    }
    if let Some(epoch) = plan.epoch {
        root.insert("created".into(), json!(rfc3339(epoch)));
    }
    root.insert("config".into(), Value::Object(config));
    root.insert("rootfs".into(), json!({ "type": "layers", "diff_ids": [] }));
    Value::Object(root)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_epoch_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

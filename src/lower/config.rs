//! The OCI image config JSON. Keys are written in a fixed order and maps sorted, so the JSON (and its
//! digest) only changes when the image does.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::plan::Plan;
use crate::platform::Platform;

/// The image config BuildKit's exporter takes (`containerimage.config`). Fields serialize in the order
/// declared here; empty optional parts are left out, as the Dockerfile frontend leaves them out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    pub architecture: String,
    pub os: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// RFC 3339, from `SOURCE_DATE_EPOCH`; absent otherwise so the config does not change by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub config: RunConfig,
    pub rootfs: RootFs,
}

/// How a container of the image runs (the `config` object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    pub user: String,
    pub env: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    pub working_dir: String,
    /// `8080/tcp` → `{}`, in the plan's (sorted) order.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ports_as_object")]
    pub exposed_ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "pairs_as_object")]
    pub labels: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    /// `/data` → `{}`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "ports_as_object")]
    pub volumes: Vec<String>,
}

/// Docker's `HealthConfig`: zero values are left out (`omitempty`), which leaves the engine's default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub interval: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_period: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Filled in by the exporter: the frontend sends no layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    /// Adds labels given outside the spec (`--label`); as in the Dockerfile frontend, they win over the
    /// spec's `image.labels` of the same name. New names follow the spec's, sorted.
    pub fn with_labels(mut self, labels: &[(String, String)]) -> Self {
        let mut added: Vec<(String, String)> = Vec::new();
        for (name, value) in labels {
            match self.config.labels.iter_mut().find(|(n, _)| n == name) {
                Some(existing) => existing.1 = value.clone(),
                None => added.push((name.clone(), value.clone())),
            }
        }
        added.sort();
        self.config.labels.extend(added);
        self
    }
}

fn ports_as_object<S: Serializer>(ports: &[String], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(ports.len()))?;
    for p in ports {
        map.serialize_entry(p, &serde_json::Map::new())?;
    }
    map.end()
}

fn pairs_as_object<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

pub fn image_config(plan: &Plan, platform: &Platform) -> ImageConfig {
    let i = &plan.image;
    ImageConfig {
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
        created: plan.epoch.map(rfc3339),
        config: RunConfig {
            user: i.user.to_string(),
            env: i.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            entrypoint: i.entrypoint.clone(),
            cmd: i.cmd.clone(),
            working_dir: i.workdir.to_string(),
            exposed_ports: i.exposed_ports.clone(),
            labels: i.labels.clone(),
            stop_signal: i.stop_signal.clone(),
            healthcheck: i.healthcheck.as_ref().map(|h| HealthConfig {
                test: h.test.clone(),
                interval: h.interval,
                timeout: h.timeout,
                start_period: h.start_period,
                start_interval: h.start_interval,
                retries: h.retries.into(),
            }),
            volumes: i.volumes.iter().map(ToString::to_string).collect(),
        },
        rootfs: RootFs { kind: "layers", diff_ids: Vec::new() },
    }
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
    fn flag_labels_win_and_new_ones_follow_sorted() {
        let mut config = super::ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
            created: None,
            config: super::RunConfig {
                user: "0:0".into(),
                env: vec![],
                entrypoint: None,
                cmd: None,
                working_dir: "/".into(),
                exposed_ports: vec![],
                labels: vec![("b".into(), "spec".into()), ("a".into(), "spec".into())],
                stop_signal: None,
                healthcheck: None,
                volumes: vec![],
            },
            rootfs: super::RootFs { kind: "layers", diff_ids: vec![] },
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        config = config.with_labels(&[pair("z", "flag"), pair("a", "flag"), pair("c", "flag")]);
        assert_eq!(config.config.labels, [pair("b", "spec"), pair("a", "flag"), pair("c", "flag"), pair("z", "flag")]);
    }

    #[test]
    fn formats_epoch_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        // The latest epoch the plan takes: `created` is a valid RFC 3339 time, and file times fit.
        assert_eq!(rfc3339(crate::plan::MAX_EPOCH), "2262-04-11T23:47:16Z");
        assert!(crate::plan::MAX_EPOCH.checked_mul(1_000_000_000).is_some());
    }

    #[test]
    fn the_century_terms_hold_around_the_first_of_march() {
        // The algorithm's years start on 1 March, and the century correction moves that boundary by days:
        // only dates beside it, in later centuries of the 400-year era, show a wrong term.
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(7_263_216_000), "2200-03-01T00:00:00Z");
        assert_eq!(rfc3339(13_574_606_400), "2400-02-29T12:00:00Z");
    }
}

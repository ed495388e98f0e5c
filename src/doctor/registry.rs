//! An image in a registry, pulled anonymously over the registry HTTP API (the OCI distribution spec):
//! manifests and indexes by `Accept` header, configs and layers by digest, every byte checked against the
//! digest that named it. A `401` with a `Bearer` challenge gets an anonymous token from the realm it names
//! (Docker Hub and most registries let anyone pull public images that way). Plain HTTP only for a loopback
//! registry (as Docker treats them) or when the user asks for it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha512};

/// The manifest types doctor reads, in the `Accept` header of a manifest request.
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// A manifest, index, config or token larger than this is not JSON a registry wrote.
pub const MAX_JSON: u64 = 16 << 20;
/// One compressed layer: larger than any image doctor can hold in memory anyway.
pub const MAX_LAYER: u64 = 16 << 30;

/// `host[:port]`, `repository` and the tag or digest of a reference, as Docker reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct Reference {
    pub host: String,
    pub repository: String,
    /// A tag, or `sha256:…` for a reference by digest.
    pub reference: String,
}

impl Reference {
    pub fn parse(text: &str) -> Result<Reference, String> {
        crate::reference::check(text).map_err(|e| format!("`{text}` is not an image reference: {e}"))?;
        let full = crate::reference::normalize(text);
        let (name, digest) = full.split_once('@').map_or((full.as_str(), None), |(n, d)| (n, Some(d)));
        let (host, path) = name.split_once('/').ok_or_else(|| format!("`{text}` names no repository"))?;
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) => (r, Some(t)),
            None => (path, None),
        };
        let reference = digest.or(tag).unwrap_or("latest").to_string();
        // Docker Hub's API is not served at the name users write.
        let host = if host == "docker.io" { "registry-1.docker.io" } else { host };
        Ok(Reference { host: host.to_string(), repository: repository.to_string(), reference })
    }

    /// Whether the registry is on this machine: `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        let host = match self.host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => self.host.rsplit_once(':').map_or(self.host.as_str(), |(h, _)| h),
        };
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// The hash of a digest's algorithm (the only ones a registry may name: sha256, sha512), fed as bytes come.
enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    fn of(digest: &str) -> Result<Hasher, String> {
        match digest.split_once(':') {
            Some(("sha256", hex)) if hex.len() == 64 => Ok(Hasher::Sha256(Sha256::new())),
            Some(("sha512", hex)) if hex.len() == 128 => Ok(Hasher::Sha512(Sha512::new())),
            _ => Err(format!("`{digest}` is not a sha256 or sha512 digest")),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// Refuses content whose hash is not the digest that named it.
    fn verify(self, digest: &str) -> Result<(), String> {
        let (algorithm, want) = digest.split_once(':').unwrap_or_default();
        let got = match self {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        };
        if got != want.to_ascii_lowercase() {
            return Err(format!(
                "the registry sent content for {digest} whose digest is {algorithm}:{got}: refusing it"
            ));
        }
        Ok(())
    }
}

/// The registry and the repository of one reference, with the bearer token once one was granted.
pub struct Remote {
    agent: ureq::Agent,
    base: String,
    pub reference: Reference,
    /// How reports name the image: the reference as the user wrote it, normalized.
    pub name: String,
    token: RefCell<Option<String>>,
    /// Manifests already fetched, by digest (the top one is fetched by tag first).
    manifests: RefCell<BTreeMap<String, Value>>,
}

impl Remote {
    pub fn new(text: &str, plain_http: bool) -> Result<Remote, String> {
        let reference = Reference::parse(text)?;
        let http = plain_http || reference.is_loopback();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(!http)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .user_agent(concat!("scratchkit/", env!("CARGO_PKG_VERSION")))
            .build();
        let base = format!("{}://{}/v2/{}", if http { "http" } else { "https" }, reference.host, reference.repository);
        let name = crate::reference::normalize(text);
        Ok(Remote {
            agent: config.new_agent(),
            base,
            reference,
            name,
            token: RefCell::default(),
            manifests: RefCell::default(),
        })
    }

    /// `GET base/path`, with the token; a `401` with a `Bearer` challenge gets one and asks again, once.
    fn get(&self, path: &str, accept: &str) -> Result<ureq::http::Response<ureq::Body>, String> {
        let url = format!("{}/{path}", self.base);
        let mut retried = false;
        loop {
            let mut request = self.agent.get(&url).header("Accept", accept);
            if let Some(token) = self.token.borrow().as_ref() {
                request = request.header("Authorization", &format!("Bearer {token}"));
            }
            let response = request.call().map_err(|e| format!("GET {url}: {e}"))?;
            match response.status().as_u16() {
                200 => return Ok(response),
                401 if !retried => {
                    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    *self.token.borrow_mut() = Some(self.anonymous_token(&url, &challenge)?);
                    retried = true;
                }
                401 | 403 => {
                    return Err(format!(
                        "GET {url}: {}: the registry refuses an anonymous pull; `docker save` the image and give doctor the archive",
                        response.status()
                    ))
                }
                404 => return Err(format!("GET {url}: 404: no such image in the registry (`{}`)", self.name)),
                _ => return Err(format!("GET {url}: the registry answered {}", response.status())),
            }
        }
    }

    /// The token dance: `GET realm?service=…&scope=…` without credentials, `{"token": …}` back.
    fn anonymous_token(&self, url: &str, challenge: &str) -> Result<String, String> {
        let params = bearer_challenge(challenge).ok_or_else(|| {
            format!("GET {url}: 401 and the registry asks for a login (`{challenge}`): doctor pulls anonymously; `docker save` the image and give doctor the archive")
        })?;
        let realm = params
            .get("realm")
            .ok_or_else(|| format!("GET {url}: a Bearer challenge without a realm: `{challenge}`"))?;
        let query: Vec<String> = ["service", "scope"]
            .iter()
            .filter_map(|k| params.get(*k).map(|v| format!("{k}={}", percent_encode(v))))
            .collect();
        let token_url = if query.is_empty() {
            realm.clone()
        } else {
            format!("{realm}{}{}", if realm.contains('?') { '&' } else { '?' }, query.join("&"))
        };
        let mut response = self.agent.get(&token_url).call().map_err(|e| format!("GET {token_url}: {e}"))?;
        if response.status() != 200 {
            return Err(format!(
                "GET {token_url}: the registry's token service answered {}: it grants no anonymous pull",
                response.status()
            ));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_JSON)
            .read_to_vec()
            .map_err(|e| format!("GET {token_url}: {e}"))?;
        let answer: Value = serde_json::from_slice(&body).map_err(|e| format!("GET {token_url}: not JSON: {e}"))?;
        ["token", "access_token"]
            .iter()
            .find_map(|k| answer.get(*k).and_then(Value::as_str).filter(|t| !t.is_empty()))
            .map(str::to_string)
            .ok_or_else(|| format!("GET {token_url}: the answer holds no token"))
    }

    /// A body of at most [`MAX_JSON`] bytes, as JSON.
    fn json_body(&self, path: &str, accept: &str) -> Result<(Vec<u8>, Value, Option<String>), String> {
        let response = self.get(path, accept)?;
        let header = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = response
            .into_body()
            .into_with_config()
            .limit(MAX_JSON)
            .read_to_vec()
            .map_err(|e| format!("GET {}/{path}: {e}", self.base))?;
        let value = serde_json::from_slice(&bytes).map_err(|e| format!("GET {}/{path}: not JSON: {e}", self.base))?;
        Ok((bytes, value, header))
    }

    /// The index doctor walks: the reference's own manifest (by tag or digest), named as the user named it.
    pub fn index(&self) -> Result<Value, String> {
        let accept = MANIFEST_TYPES.join(", ");
        let (bytes, manifest, header) = self.json_body(&format!("manifests/{}", self.reference.reference), &accept)?;
        // By digest, the digest is the one asked for; by tag, the registry's header names it (or sha256).
        let digest = if self.reference.reference.contains(':') {
            self.reference.reference.clone()
        } else {
            header.unwrap_or_default()
        };
        let digest = if digest.is_empty() { format!("sha256:{}", hex::encode(Sha256::digest(&bytes))) } else { digest };
        let mut hash = Hasher::of(&digest)?;
        hash.update(&bytes);
        hash.verify(&digest)?;
        if manifest.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            return Err(format!("`{}` has a Docker schema 1 manifest, which doctor does not read", self.name));
        }
        self.manifests.borrow_mut().insert(digest.clone(), manifest);
        Ok(json!({ "manifests": [{ "digest": digest, "annotations": { "io.containerd.image.name": self.name } }] }))
    }

    /// A manifest named by digest in an index (or the top one, already fetched).
    pub fn manifest(&self, digest: &str) -> Result<Value, String> {
        if let Some(m) = self.manifests.borrow().get(digest) {
            return Ok(m.clone());
        }
        let mut hash = Hasher::of(digest)?;
        let (bytes, manifest, _) = self.json_body(&format!("manifests/{digest}"), &MANIFEST_TYPES.join(", "))?;
        hash.update(&bytes);
        hash.verify(digest)?;
        Ok(manifest)
    }

    /// A blob (a config or a layer), downloaded to an unnamed temporary file and checked against its
    /// digest before any of it is read.
    pub fn blob(&self, digest: &str, limit: u64) -> Result<(Box<dyn Read>, u64), String> {
        let mut hash = Hasher::of(digest)?;
        let url = format!("{}/blobs/{digest}", self.base);
        let response = self.get(&format!("blobs/{digest}"), "application/octet-stream")?;
        let mut body = response.into_body().into_with_config().limit(limit).reader();
        let mut file = tempfile::tempfile().map_err(|e| format!("a temporary file for {digest}: {e}"))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = body
                .read(&mut buf)
                .map_err(|e| format!("GET {url}: {e} (doctor reads at most {} MiB of a blob)", limit >> 20))?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
            file.write_all(&buf[..n]).map_err(|e| format!("writing {digest} to a temporary file: {e}"))?;
            size += n as u64;
        }
        hash.verify(digest)?;
        file.rewind().map_err(|e| format!("reading {digest} back: {e}"))?;
        Ok((Box::new(std::io::BufReader::new(file)), size))
    }
}

/// `Bearer realm="…",service="…",scope="…"` → its parameters; `None` for another scheme.
fn bearer_challenge(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.trim_start();
    let (scheme, mut rest) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = BTreeMap::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        let Some((key, after)) = rest.split_once('=') else { break };
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => after.split_once(',').map_or((after.trim().to_string(), ""), |(v, a)| (v.trim().to_string(), a)),
        };
        params.insert(key.trim().to_ascii_lowercase(), value);
        rest = after;
    }
    Some(params)
}

/// The rest of a quoted string (after its opening `"`): its value with `\` escapes undone, and what follows.
fn quoted_string(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[i + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// A query parameter's value: everything but RFC 3986's unreserved characters percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_challenges_and_query_values() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(
            (r.host.as_str(), r.repository.as_str(), r.reference.as_str()),
            ("registry-1.docker.io", "library/alpine", "latest")
        );
        let r = Reference::parse("127.0.0.1:5000/a/b:v1").unwrap();
        assert_eq!(
            (r.host.as_str(), r.repository.as_str(), r.reference.as_str(), r.is_loopback()),
            ("127.0.0.1:5000", "a/b", "v1", true)
        );
        assert!(Reference::parse("localhost:5000/a").unwrap().is_loopback());
        assert!(!Reference::parse("ghcr.io/a/b").unwrap().is_loopback());
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(Reference::parse(&format!("ghcr.io/a/b:1@{d}")).unwrap().reference, d);
        let c = bearer_challenge(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#).unwrap();
        assert_eq!(c["realm"], "https://auth.docker.io/token");
        assert_eq!(c["scope"], "repository:library/alpine:pull");
        assert_eq!(bearer_challenge(r#"Bearer realm="a\"b""#).unwrap()["realm"], "a\"b");
        assert!(bearer_challenge(r#"Basic realm="x""#).is_none());
        assert_eq!(percent_encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
    }
}

//! Named contexts (`docker buildx build --build-context NAME=…`): buildx sends each as the option
//! `context:NAME` (or `context:NAME::<platform>`) whose value says where it is: `docker-image://REF`,
//! `local:<local name>` (a directory of the client), `git://…`, `https://…`, `oci-layout://…`,
//! `input:…`. Two uses, as in the Dockerfile frontend:
//! - a context named like the builder image replaces it (`golang:1.23=docker-image://mirror/golang:1.23`);
//! - `from: context:NAME:path` in `copy` reads a path of the named context (a directory or an image).

use crate::rules::codes::*;
use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::gateway::{Gateway, Request};
use crate::llb::State;
use crate::plan::{Plan, Source};
use crate::platform::Platform;
use crate::reference;

/// The `context:*` options, by the name after `context:` (with any `::<platform>`).
#[derive(Clone, Debug, Default)]
pub struct NamedContexts {
    by_name: BTreeMap<String, String>,
}

/// Where a named context is, as far as scratchkit reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `docker-image://REF`; `scratch` is the empty image.
    Image(String),
    /// `local:NAME`: the client's directory sent as the local `NAME`.
    Local(String),
    /// Anything else, with its scheme (`git`, `https`, `oci-layout`, `input`, ...).
    Other(String),
}

impl NamedContexts {
    pub fn from_request(request: &Request) -> Self {
        NamedContexts { by_name: request.named_contexts.clone() }
    }

    /// The context `name` for `platform`: `NAME::<platform>` first, then `NAME`.
    fn value(&self, name: &str, platform: &Platform) -> Option<&str> {
        self.by_name.get(&format!("{name}::{platform}")).or_else(|| self.by_name.get(name)).map(String::as_str)
    }

    /// The context that replaces the builder image `image`, if one is named like it. Names compare as
    /// the Dockerfile frontend compares them: in the short form (`golang:1.23`; `golang` for
    /// `docker.io/library/golang:latest`), so `--build-context golang=…` replaces `image: golang`.
    pub fn for_image(&self, image: &str, platform: &Platform) -> Option<(String, Location)> {
        let wanted = familiar(image);
        let key = self
            .by_name
            .keys()
            .map(|k| k.split_once("::").map_or(k.as_str(), |(n, _)| n))
            .find(|k| familiar(k) == wanted)?;
        self.value(key, platform).map(|v| (key.to_string(), location(v)))
    }

    /// The context `context:NAME:path` names, if it was passed.
    pub fn for_copy(&self, name: &str, platform: &Platform) -> Option<Location> {
        self.value(name, platform).map(location)
    }
}

fn location(value: &str) -> Location {
    if let Some(r) = value.strip_prefix("docker-image://") {
        Location::Image(r.to_string())
    } else if let Some(l) = value.strip_prefix("local:") {
        Location::Local(l.to_string())
    } else {
        Location::Other(value.split_once(':').map_or(value, |(scheme, _)| scheme).to_string())
    }
}

/// `docker.io/library/golang:latest` → `golang`, `docker.io/me/app:1` → `me/app:1`, as Docker prints names.
fn familiar(reference: &str) -> String {
    let full = reference::normalize(reference);
    let short = full.strip_prefix("docker.io/library/").or_else(|| full.strip_prefix("docker.io/")).unwrap_or(&full);
    short.strip_suffix(":latest").unwrap_or(short).to_string()
}

/// Every `context:NAME:path` copy of the plan whose context was not passed for one of the target
/// platforms, or is of a kind copies cannot read, as located errors (all of them at once). Each platform
/// is checked: `NAME::<platform>` serves that platform only, and the copy reads the context of the image's.
pub fn check_copies(plan: &Plan, contexts: &NamedContexts) -> Diagnostics {
    let mut ds = Diagnostics::default();
    for copy in &plan.copies {
        let Source::Named { name, .. } = &copy.from else { continue };
        let found: Vec<(&Platform, Option<Location>)> =
            plan.platforms.iter().map(|p| (p, contexts.for_copy(name, p))).collect();
        let missing: Vec<String> = found.iter().filter(|(_, l)| l.is_none()).map(|(p, _)| p.to_string()).collect();
        if missing.len() == found.len() {
            ds.push(
                Diagnostic::error(SK402, copy.span, format!("no build context named `{name}` was passed")).hint(format!(
                    "pass one: `docker buildx build --build-context {name}=<directory> …`, or write `context:<path>` for the main build context"
                )),
            );
            continue;
        }
        if !missing.is_empty() {
            ds.push(
                Diagnostic::error(SK403, copy.span, format!("no build context named `{name}` was passed for {}", missing.join(", "))).hint(format!(
                    "`{name}::<platform>` serves that platform only: pass `{name}` for every platform, or one for each of {}",
                    missing.join(", ")
                )),
            );
        }
        if let Some((platform, Some(Location::Other(scheme)))) =
            found.iter().find(|(_, l)| matches!(l, Some(Location::Other(_))))
        {
            let which = if found.len() > 1 { format!(" for {platform}") } else { String::new() };
            ds.push(
                Diagnostic::error(
                    SK404,
                    copy.span,
                    format!(
                        "build context `{name}`{which} is a `{scheme}` context; copies read directories and images"
                    ),
                )
                .hint(format!("pass `--build-context {name}=<directory>` or `{name}=docker-image://<image>`")),
            );
        }
    }
    ds
}

/// The states the copies of `plan` read their named contexts from, for the image of `platform`. A local
/// directory leaves out what its own `.dockerignore` lists, as the main context does.
pub async fn copy_sources<G: Gateway>(
    g: &G,
    plan: &Plan,
    contexts: &NamedContexts,
    request: &Request,
    platform: &Platform,
    resolve_mode: Option<&str>,
) -> BTreeMap<String, State> {
    let mut out = BTreeMap::new();
    for copy in &plan.copies {
        let Source::Named { name, .. } = &copy.from else { continue };
        if out.contains_key(name) {
            continue;
        }
        let state = match contexts.for_copy(name, platform) {
            Some(Location::Image(r)) if r == "scratch" => State::scratch(),
            Some(Location::Image(r)) => State::image(&reference::normalize(&r), platform, resolve_mode)
                .named(format!("[context {name}] FROM {r}")),
            Some(Location::Local(local)) => {
                let session = request.session(&local);
                let excludes = super::read_dockerignore_of(g, &local, session).await;
                crate::lower::named_local(name, &local, session, &excludes)
            }
            // `check_copies` refused the rest.
            Some(Location::Other(_)) | None => continue,
        };
        out.insert(name.clone(), state);
    }
    out
}

/// A located error for a builder image replaced by a context it cannot be built from.
pub fn not_an_image(span: Span, image: &str, key: &str, location: &Location) -> Diagnostic {
    let what = match location {
        Location::Local(_) => "a local directory".to_string(),
        Location::Other(scheme) => format!("a `{scheme}` context"),
        Location::Image(_) => "the empty image".to_string(),
    };
    Diagnostic::error(
        SK405,
        span,
        format!(
            "`--build-context {key}=…` replaces the builder image `{image}` with {what}; the builder must be an image"
        ),
    )
    .hint(format!("pass `--build-context {key}=docker-image://<registry>/<image>:<tag>`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contexts(pairs: &[(&str, &str)]) -> NamedContexts {
        NamedContexts { by_name: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn names_compare_in_their_short_form() {
        assert_eq!(familiar("golang"), "golang");
        assert_eq!(familiar("docker.io/library/golang:latest"), "golang");
        assert_eq!(familiar("golang:1.23"), "golang:1.23");
        assert_eq!(familiar("docker.io/me/app:1"), "me/app:1");
        assert_eq!(familiar("127.0.0.1:5000/x:1"), "127.0.0.1:5000/x:1");
        let c = contexts(&[("golang:1.23", "docker-image://127.0.0.1:5000/mirror/golang:1.23")]);
        let amd64 = Platform::linux_amd64();
        let (key, at) = c.for_image("docker.io/library/golang:1.23", &amd64).unwrap();
        assert_eq!((key.as_str(), at), ("golang:1.23", Location::Image("127.0.0.1:5000/mirror/golang:1.23".into())));
        assert!(c.for_image("golang:1.22", &amd64).is_none());
        assert!(c.for_image("golang", &amd64).is_none());
    }

    #[test]
    fn a_platform_specific_context_wins() {
        let c = contexts(&[("web", "local:web"), ("web::linux/arm64", "docker-image://web:arm")]);
        assert_eq!(c.for_copy("web", &Platform::linux_amd64()), Some(Location::Local("web".into())));
        assert_eq!(
            c.for_copy("web", &Platform::parse("linux/arm64").unwrap()),
            Some(Location::Image("web:arm".into()))
        );
        assert_eq!(c.for_copy("other", &Platform::linux_amd64()), None);
        assert_eq!(location("git://example/repo"), Location::Other("git".into()));
        assert_eq!(location("input:x"), Location::Other("input".into()));
    }
}

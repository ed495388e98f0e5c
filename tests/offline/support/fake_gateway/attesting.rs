//! SBOM attestations the frontend makes itself (`BUILDKIT_SBOM_SCAN_STAGE` / `_CONTEXT`): the fake behind
//! a BuildKit that can take attestations from a frontend.

use std::cell::{Cell, RefCell};

use scratchkit::frontend::run;
use scratchkit::gateway::{Built, CacheImport, Caps, FileStat, Gateway, GatewayError, ResolvedImage, Warning};
use scratchkit::platform::Platform;
use scratchkit::proto::pb;

use super::answers::Shared;
use super::{options, FakeGateway};

pub const SBOM_GENERATOR: &str = "example.com/sbom-generator:1";
pub const SBOM_GENERATOR_CONFIG: &str =
    r#"{"config":{"Entrypoint":["/bin/scan"],"Cmd":["--quiet"],"Env":["PATH=/bin"],"WorkingDir":"/work"}}"#;

/// The fake, plus what an attestation-capable BuildKit has: the `reference.attestations` cap (when
/// `cap` is set) and a generator image whose config has an entrypoint.
pub struct Attesting<'a> {
    pub inner: Shared<'a>,
    pub cap: bool,
}

impl Gateway for Attesting<'_> {
    async fn ping(&self) -> Result<Caps, GatewayError> {
        let mut caps = self.inner.ping().await?;
        if self.cap {
            caps.frontend.insert("reference.attestations".into());
        }
        Ok(caps)
    }
    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        let mut resolved = self.inner.resolve_image_config(reference, platform, mode).await?;
        if reference == SBOM_GENERATOR {
            resolved.config = SBOM_GENERATOR_CONFIG.as_bytes().to_vec();
        }
        Ok(resolved)
    }
    async fn solve(&self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        self.inner.solve(def, cache_imports).await
    }
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        self.inner.read_file(ref_id, path).await
    }
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        self.inner.stat_file(ref_id, path).await
    }
    async fn read_dir(&self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        self.inner.read_dir(ref_id, path).await
    }
    async fn warn(&self, warning: &Warning) -> Result<(), GatewayError> {
        self.inner.warn(warning).await
    }
    async fn return_images(&self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        self.inner.return_images(images, multi_platform).await
    }
    async fn return_metadata(&self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.inner.return_metadata(metadata).await
    }
    async fn return_error(&self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        self.inner.return_error(message, details).await
    }
}

pub fn run_frontend_attesting(fake: &mut FakeGateway, pairs: &[(&str, &str)], cap: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let gateway = Attesting {
        inner: Shared { fake: RefCell::new(&mut *fake), in_flight: Cell::new(0), peak: Cell::new(0) },
        cap,
    };
    runtime.block_on(run(&gateway, &options(pairs))).expect("the gateway accepts the answer");
    assert!(fake.answer.is_some(), "the frontend returned nothing");
}

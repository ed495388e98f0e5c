//! TEMP: per-call timing.
use super::*;
pub struct Traced<G> {
    pub inner: G,
    pub t0: std::time::Instant,
}
impl<G> Traced<G> {
    fn log(&self, what: String, s: std::time::Instant) {
        eprintln!(
            "sktrace {:8.1} {:6.1} {what}",
            (s - self.t0).as_secs_f64() * 1e3,
            s.elapsed().as_secs_f64() * 1e3
        );
    }
}
impl<G: Gateway> Gateway for Traced<G> {
    async fn ping(&self) -> Result<Caps, GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.ping().await;
        self.log("ping".into(), s);
        r
    }
    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        resolve_mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        let s = std::time::Instant::now();
        let r = self
            .inner
            .resolve_image_config(reference, platform, resolve_mode)
            .await;
        self.log(format!("resolve {reference}"), s);
        r
    }
    async fn solve(&self, def: pb::Definition) -> Result<String, GatewayError> {
        let s = std::time::Instant::now();
        let n = def.def.len();
        let r = self.inner.solve(def).await;
        self.log(format!("solve {n} ops"), s);
        r
    }
    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.read_file(ref_id, path).await;
        self.log(format!("read {path}"), s);
        r
    }
    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.stat_file(ref_id, path).await;
        self.log(format!("stat {path}"), s);
        r
    }
    async fn read_range(
        &self,
        ref_id: &str,
        path: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>, GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.read_range(ref_id, path, offset, length).await;
        self.log(format!("range {path} {offset}+{length}"), s);
        r
    }
    async fn read_dir(&self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.read_dir(ref_id, path).await;
        self.log(format!("readdir {path}"), s);
        r
    }
    async fn warn(&self, w: &Warning) -> Result<(), GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.warn(w).await;
        self.log("warn".into(), s);
        r
    }
    async fn return_images(&self, images: Vec<Built>, m: bool) -> Result<(), GatewayError> {
        let s = std::time::Instant::now();
        let r = self.inner.return_images(images, m).await;
        self.log("return".into(), s);
        r
    }
    async fn return_metadata(&self, md: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.inner.return_metadata(md).await
    }
    async fn return_error(&self, message: String) -> Result<(), GatewayError> {
        self.inner.return_error(message).await
    }
}

//! The LLBBridge client over the frontend's stdin/stdout: cleartext HTTP/2 with prior knowledge, one
//! connection for the life of the process.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::transport::{Channel, Endpoint, Uri};

use super::{Built, CacheImport, Caps, FileStat, Gateway, GatewayError, ResolvedImage};
use crate::platform::Platform;
use crate::proto::moby::buildkit::v1::frontend::{self as fe, llb_bridge_client::LlbBridgeClient};
use crate::proto::{google, pb};

/// The most we accept in one answer. BuildKit ≥0.14 sends at most 16 MiB (older ones are unlimited on
/// send), and tonic's default of 4 MiB would refuse a large file read; the checks read in ranges, so
/// this bound is only a guard against a runaway answer.
const MAX_MESSAGE: usize = 64 << 20;

/// stdin and stdout as one duplex stream.
struct Stdio {
    input: tokio::io::Stdin,
    output: tokio::io::Stdout,
}

impl AsyncRead for Stdio {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().input).poll_read(cx, buf)
    }
}

impl AsyncWrite for Stdio {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().output).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().output).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().output).poll_shutdown(cx)
    }
}

/// Cloning a tonic client is cheap and shares the connection: each request takes its own clone.
pub struct StdioGateway {
    client: LlbBridgeClient<Channel>,
}

/// Keeps BuildKit's structured details (`grpc-status-details-bin`, an encoded `google.rpc.Status`).
fn err(status: tonic::Status) -> GatewayError {
    let details =
        <google::rpc::Status as prost::Message>::decode(status.details()).map(|s| s.details).unwrap_or_default();
    GatewayError { message: status.message().to_string(), details }
}

impl StdioGateway {
    pub async fn connect() -> Result<Self, GatewayError> {
        // The connector hands out stdio once; a reconnect must fail rather than share the pipes.
        let slot = Arc::new(Mutex::new(Some(Stdio { input: tokio::io::stdin(), output: tokio::io::stdout() })));
        let connector = tower::service_fn(move |_: Uri| {
            let stdio = slot.lock().ok().and_then(|mut s| s.take());
            async move { stdio.map(TokioIo::new).ok_or_else(|| std::io::Error::other("stdio connection already used")) }
        });
        let channel = Endpoint::from_static("http://localhost")
            .connect_with_connector(connector)
            .await
            .map_err(|e| GatewayError::new(format!("connecting over stdio: {e}")))?;
        let client =
            LlbBridgeClient::new(channel).max_decoding_message_size(MAX_MESSAGE).max_encoding_message_size(MAX_MESSAGE);
        Ok(StdioGateway { client })
    }

    async fn r#return(&self, request: fe::ReturnRequest) -> Result<(), GatewayError> {
        self.client.clone().r#return(request).await.map_err(err)?;
        Ok(())
    }
}

fn enabled(caps: &[crate::proto::moby::buildkit::v1::apicaps::ApiCap]) -> std::collections::BTreeSet<String> {
    caps.iter().filter(|c| c.enabled).map(|c| c.id.clone()).collect()
}

fn from_pb_platform(p: &pb::Platform) -> Platform {
    Platform {
        os: p.os.clone(),
        architecture: p.architecture.clone(),
        variant: Some(p.variant.clone()).filter(|v| !v.is_empty()),
    }
}

/// A bundle as BuildKit's Dockerfile frontend returns an SBOM scan: kind Bundle, no subjects (BuildKit sets
/// the image as the subject).
fn bundle(b: &super::Bundle) -> fe::Attestation {
    fe::Attestation {
        kind: fe::AttestationKind::Bundle as i32,
        metadata: b.metadata.clone(),
        r#ref: Some(fe::Ref { id: b.ref_id.clone(), def: None }),
        path: b.path.clone(),
        in_toto_predicate_type: b.predicate_type.clone(),
        in_toto_subjects: Vec::new(),
    }
}

impl Gateway for StdioGateway {
    async fn ping(&self) -> Result<Caps, GatewayError> {
        let pong = self.client.clone().ping(fe::PingRequest {}).await.map_err(err)?.into_inner();
        let worker_platforms =
            pong.workers.first().map(|w| w.platforms.iter().map(from_pb_platform).collect()).unwrap_or_default();
        Ok(Caps { frontend: enabled(&pong.frontend_api_caps), llb: enabled(&pong.llb_caps), worker_platforms })
    }

    async fn resolve_image_config(
        &self,
        reference: &str,
        platform: &Platform,
        resolve_mode: &str,
    ) -> Result<ResolvedImage, GatewayError> {
        let request = fe::ResolveImageConfigRequest {
            r#ref: reference.to_string(),
            platform: Some(crate::llb::to_pb_platform(platform)),
            resolve_mode: resolve_mode.to_string(),
            log_name: format!("[internal] load metadata for {reference}"),
            ..Default::default()
        };
        let response = self.client.clone().resolve_image_config(request).await.map_err(err)?.into_inner();
        Ok(ResolvedImage { digest: response.digest, config: response.config })
    }

    async fn solve(&self, def: pb::Definition, cache_imports: &[CacheImport]) -> Result<String, GatewayError> {
        let cache_imports = cache_imports
            .iter()
            .map(|c| fe::CacheOptionsEntry { r#type: c.kind.clone(), attrs: c.attrs.clone() })
            .collect();
        let request = fe::SolveRequest {
            definition: Some(def),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports,
            ..Default::default()
        };
        let response = self.client.clone().solve(request).await.map_err(err)?.into_inner();
        match response.result.and_then(|r| r.result) {
            Some(fe::result::Result::Ref(r)) => Ok(r.id),
            Some(fe::result::Result::RefDeprecated(id)) => Ok(id),
            _ if !response.r#ref.is_empty() => Ok(response.r#ref),
            _ => Err(GatewayError::new("solve returned no reference")),
        }
    }

    async fn read_file(&self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        let request = fe::ReadFileRequest { r#ref: ref_id.to_string(), file_path: path.to_string(), range: None };
        Ok(self.client.clone().read_file(request).await.map_err(err)?.into_inner().data)
    }

    async fn read_range(&self, ref_id: &str, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, GatewayError> {
        let range = fe::FileRange { offset: offset as i64, length: length as i64 };
        let request =
            fe::ReadFileRequest { r#ref: ref_id.to_string(), file_path: path.to_string(), range: Some(range) };
        Ok(self.client.clone().read_file(request).await.map_err(err)?.into_inner().data)
    }

    async fn read_dir(&self, ref_id: &str, path: &str) -> Result<Vec<String>, GatewayError> {
        let request = fe::ReadDirRequest {
            r#ref: ref_id.to_string(),
            dir_path: path.to_string(),
            include_pattern: String::new(),
        };
        let entries = self.client.clone().read_dir(request).await.map_err(err)?.into_inner().entries;
        Ok(entries.into_iter().map(|e| e.path).collect())
    }

    async fn read_dir_stats(&self, ref_id: &str, path: &str) -> Result<Vec<FileStat>, GatewayError> {
        let request = fe::ReadDirRequest {
            r#ref: ref_id.to_string(),
            dir_path: path.to_string(),
            include_pattern: String::new(),
        };
        let entries = self.client.clone().read_dir(request).await.map_err(err)?.into_inner().entries;
        Ok(entries
            .into_iter()
            .map(|e| FileStat {
                path: e.path,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                size: e.size,
                linkname: e.linkname,
            })
            .collect())
    }

    async fn stat_file(&self, ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        let request = fe::StatFileRequest { r#ref: ref_id.to_string(), path: path.to_string() };
        let stat = self.client.clone().stat_file(request).await.map_err(err)?.into_inner().stat.unwrap_or_default();
        Ok(FileStat {
            path: String::new(),
            mode: stat.mode,
            uid: stat.uid,
            gid: stat.gid,
            size: stat.size,
            linkname: stat.linkname,
        })
    }

    async fn warn(&self, w: &super::Warning) -> Result<(), GatewayError> {
        let at = |line: usize, column: usize| pb::Position { line: line as i32, character: column as i32 };
        let request = fe::WarnRequest {
            digest: w.vertex.clone(),
            level: 1,
            short: w.message.clone().into_bytes(),
            detail: w.hint.iter().map(|h| h.clone().into_bytes()).collect(),
            url: String::new(),
            info: Some(pb::SourceInfo {
                filename: w.filename.clone(),
                data: w.source.clone().into_bytes(),
                definition: None,
                language: "yaml".into(),
            }),
            ranges: vec![pb::Range { start: Some(at(w.line, w.column)), end: Some(at(w.line, w.column)) }],
        };
        self.client.clone().warn(request).await.map_err(err)?;
        Ok(())
    }

    async fn return_images(&self, images: Vec<Built>, multi_platform: bool) -> Result<(), GatewayError> {
        let mut metadata = std::collections::BTreeMap::new();
        let platforms: Vec<serde_json::Value> = images
            .iter()
            .map(|b| {
                let mut p = serde_json::json!({ "architecture": b.platform.architecture, "os": b.platform.os });
                if let Some(v) = &b.platform.variant {
                    p["variant"] = serde_json::json!(v);
                }
                serde_json::json!({ "ID": b.platform.to_string(), "Platform": p })
            })
            .collect();
        metadata.insert(
            "refs.platforms".to_string(),
            serde_json::to_vec(&serde_json::json!({ "Platforms": platforms })).unwrap_or_default(),
        );
        // Keyed by the platform IDs of refs.platforms, for one image as for many.
        let attestations = images
            .iter()
            .filter(|b| !b.attestations.is_empty())
            .map(|b| {
                (b.platform.to_string(), fe::Attestations { attestation: b.attestations.iter().map(bundle).collect() })
            })
            .collect();
        let result = if multi_platform {
            let mut refs = std::collections::BTreeMap::new();
            for b in images {
                metadata.insert(format!("containerimage.config/{}", b.platform), b.config);
                refs.insert(b.platform.to_string(), fe::Ref { id: b.ref_id, def: None });
            }
            fe::result::Result::Refs(fe::RefMap { refs })
        } else {
            let b = images.into_iter().next().ok_or_else(|| GatewayError::new("no image to return"))?;
            metadata.insert("containerimage.config".to_string(), b.config);
            fe::result::Result::Ref(fe::Ref { id: b.ref_id, def: None })
        };
        let result = fe::Result { result: Some(result), metadata, attestations };
        self.r#return(fe::ReturnRequest { result: Some(result), error: None }).await
    }

    async fn return_metadata(&self, metadata: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        let result =
            fe::Result { result: None, metadata: metadata.into_iter().collect(), attestations: Default::default() };
        self.r#return(fe::ReturnRequest { result: Some(result), error: None }).await
    }

    async fn return_error(&self, message: String, details: Vec<prost_types::Any>) -> Result<(), GatewayError> {
        // 2 = UNKNOWN, as BuildKit's own frontends use: any other code is prefixed to the message
        // (`InvalidArgument: ...`) once per hop between the frontend and buildx.
        let status = google::rpc::Status { code: 2, message, details };
        self.r#return(fe::ReturnRequest { result: None, error: Some(status) }).await
    }
}

//! A small blocking client of MLflow's REST API (`api/2.0/mlflow/...`) and its artifact proxy
//! (`api/2.0/mlflow-artifacts/artifacts/...`, served by `mlflow server --serve-artifacts`): the
//! calls the export makes, each turning a failure into an [`MlflowError`] that names the server,
//! the endpoint and MLflow's own error code and message. What is logged, and in which order, is
//! decided in `mod.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::params::Batch;

/// What can go wrong talking to an MLflow server.
#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    /// The tracking URI is not an http(s) URL.
    #[error(
        "tracking URI '{uri}' is not an http:// or https:// URL (the address of `mlflow server`, \
         e.g. http://127.0.0.1:5000)"
    )]
    BadUri {
        /// The URI given.
        uri: String,
    },
    /// No answer: connection refused, unknown host, timeout.
    #[error("MLflow server at {uri} is unreachable ({method} {endpoint}): {message}")]
    Unreachable {
        /// The tracking URI.
        uri: String,
        /// HTTP method.
        method: &'static str,
        /// The endpoint called.
        endpoint: String,
        /// What the transport said.
        message: String,
    },
    /// The server answered with an HTTP error.
    #[error(
        "MLflow server at {uri}: {method} {endpoint} failed with HTTP {status}: {code}: {message}"
    )]
    Http {
        /// The tracking URI.
        uri: String,
        /// HTTP method.
        method: &'static str,
        /// The endpoint called.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// MLflow's `error_code` (e.g. `INVALID_PARAMETER_VALUE`), or `-` when the body has none.
        code: String,
        /// MLflow's `message`, else the body's start.
        message: String,
    },
    /// The server answered something that is not what MLflow's API promises.
    #[error("MLflow server at {uri}: {endpoint} answered unexpectedly: {message}")]
    BadResponse {
        /// The tracking URI.
        uri: String,
        /// The endpoint called.
        endpoint: String,
        /// What was wrong.
        message: String,
    },
    /// A file to upload as an artifact could not be read.
    #[error("reading the artifact {}: {source}", path.display())]
    ReadArtifact {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A run's artifacts are not stored through the server's proxy, so they cannot be uploaded
    /// over HTTP.
    #[error(
        "MLflow server at {uri}: run {run_id}'s artifact URI is '{artifact_uri}', not an \
         mlflow-artifacts:/ URI: start the server with --serve-artifacts (the default of \
         `mlflow server` since MLflow 2.0) so artifacts go through its proxy"
    )]
    NoArtifactProxy {
        /// The tracking URI.
        uri: String,
        /// The run.
        run_id: String,
        /// Its artifact URI.
        artifact_uri: String,
    },
}

/// An MLflow run as the export needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// MLflow's run id.
    pub run_id: String,
    /// `RUNNING`, `FINISHED`, `FAILED`, ...
    pub status: String,
    /// Where its artifacts go (`mlflow-artifacts:/<experiment>/<run>/artifacts`).
    pub artifact_uri: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// A tracking server's API.
pub struct Client {
    uri: String,
    agent: ureq::Agent,
}

/// The most bytes an answer may have (a page of searched runs with their data).
const MAX_ANSWER: u64 = 256 << 20;
/// Runs per page of `runs/search` (MLflow allows up to 50,000; pages keep answers small).
const SEARCH_PAGE: usize = 500;

impl Client {
    /// A client of the server at `uri` (`http://host:port`, with or without a trailing slash).
    pub fn new(uri: &str) -> Result<Client, MlflowError> {
        let trimmed = uri.trim_end_matches('/');
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://"))
            || trimmed.len() <= "https://".len()
        {
            return Err(MlflowError::BadUri { uri: uri.into() });
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .new_agent();
        Ok(Client {
            uri: trimmed.to_string(),
            agent,
        })
    }

    /// The tracking URI, without a trailing slash.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn unreachable(&self, method: &'static str, endpoint: &str, e: ureq::Error) -> MlflowError {
        MlflowError::Unreachable {
            uri: self.uri.clone(),
            method,
            endpoint: endpoint.into(),
            message: e.to_string(),
        }
    }

    fn bad(&self, endpoint: &str, message: impl Into<String>) -> MlflowError {
        MlflowError::BadResponse {
            uri: self.uri.clone(),
            endpoint: endpoint.into(),
            message: message.into(),
        }
    }

    /// Reads an answer: its JSON on success, an [`MlflowError::Http`] with MLflow's error code
    /// and message otherwise.
    fn answer(
        &self,
        method: &'static str,
        endpoint: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, MlflowError> {
        let mut response = response.map_err(|e| self.unreachable(method, endpoint, e))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(|e| self.unreachable(method, endpoint, e))?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let field = |name: &str| {
                value
                    .as_ref()
                    .and_then(|v| v[name].as_str())
                    .map(str::to_string)
            };
            return Err(MlflowError::Http {
                uri: self.uri.clone(),
                method,
                endpoint: endpoint.into(),
                status: status.as_u16(),
                code: field("error_code").unwrap_or_else(|| "-".into()),
                // Not MLflow's JSON (a proxy's or another server's page): its first words.
                message: field("message").unwrap_or_else(|| {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    words.join(" ").chars().take(200).collect()
                }),
            });
        }
        // Some endpoints answer an empty body (or `{}`) on success.
        Ok(value.unwrap_or(Value::Null))
    }

    /// POSTs `body` to `api/2.0/mlflow/<endpoint>`.
    fn post(&self, endpoint: &str, body: &Value) -> Result<Value, MlflowError> {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.uri);
        let response = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string());
        self.answer("POST", endpoint, response)
    }

    /// Whether the server answers its health check (`/health`).
    pub fn healthy(&self) -> Result<(), MlflowError> {
        let response = self.agent.get(format!("{}/health", self.uri)).call();
        self.answer("GET", "/health", response).map(|_| ())
    }

    /// The id of the experiment called `name`, None when there is none; an error when it exists
    /// but is deleted (MLflow keeps the name taken until the deleted experiment is purged).
    pub fn experiment_by_name(&self, name: &str) -> Result<Option<String>, MlflowError> {
        let endpoint = "experiments/get-by-name";
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.uri);
        let response = self.agent.get(&url).query("experiment_name", name).call();
        match self.answer("GET", endpoint, response) {
            Ok(v) => {
                let experiment = &v["experiment"];
                if experiment["lifecycle_stage"].as_str() == Some("deleted") {
                    return Err(self.bad(
                        endpoint,
                        format!(
                            "experiment '{name}' is deleted; restore it in the MLflow UI, or \
                             purge it (`mlflow gc`), or choose another with --experiment"
                        ),
                    ));
                }
                let id = experiment["experiment_id"]
                    .as_str()
                    .ok_or_else(|| self.bad(endpoint, "no experiment_id in the answer"))?;
                Ok(Some(id.to_string()))
            }
            Err(MlflowError::Http { code, .. }) if code == "RESOURCE_DOES_NOT_EXIST" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the experiment `name` with `tags`; returns its id.
    pub fn create_experiment(
        &self,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<String, MlflowError> {
        let endpoint = "experiments/create";
        let v = self.post(endpoint, &json!({"name": name, "tags": pairs(tags)}))?;
        v["experiment_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.bad(endpoint, "no experiment_id in the answer"))
    }

    /// Every active run of the experiment `experiment_id` whose tag `tag` is set, page by page.
    pub fn runs_with_tag(
        &self,
        experiment_id: &str,
        tag: &str,
    ) -> Result<Vec<RunInfo>, MlflowError> {
        let endpoint = "runs/search";
        let mut runs = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "experiment_ids": [experiment_id],
                "filter": format!("tags.`{tag}` != ''"),
                "run_view_type": "ACTIVE_ONLY",
                "max_results": SEARCH_PAGE,
            });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let v = self.post(endpoint, &body)?;
            for run in v["runs"].as_array().into_iter().flatten() {
                runs.push(self.run_info(endpoint, run)?);
            }
            match v["next_page_token"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(runs)
    }

    /// The export's view of a run object of MLflow's answers.
    fn run_info(&self, endpoint: &str, run: &Value) -> Result<RunInfo, MlflowError> {
        let info = &run["info"];
        let field = |name: &str| info[name].as_str().map(str::to_string);
        let tags = run["data"]["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t["key"].as_str()?.into(), t["value"].as_str()?.into())))
            .collect();
        Ok(RunInfo {
            run_id: field("run_id").ok_or_else(|| self.bad(endpoint, "a run has no run_id"))?,
            status: field("status").unwrap_or_default(),
            artifact_uri: field("artifact_uri").unwrap_or_default(),
            tags,
        })
    }

    /// Creates a run (status RUNNING) in `experiment_id`.
    pub fn create_run(
        &self,
        experiment_id: &str,
        name: &str,
        start_ms: i64,
        tags: &[(String, String)],
    ) -> Result<RunInfo, MlflowError> {
        let endpoint = "runs/create";
        let v = self.post(
            endpoint,
            &json!({
                "experiment_id": experiment_id,
                "run_name": name,
                "start_time": start_ms,
                "tags": pairs(tags),
            }),
        )?;
        self.run_info(endpoint, &v["run"])
    }

    /// Logs one batch of parameters, metrics and tags to `run_id`.
    pub fn log_batch(&self, run_id: &str, batch: &Batch) -> Result<(), MlflowError> {
        self.post("runs/log-batch", &batch.to_json(run_id))
            .map(|_| ())
    }

    /// Sets `run_id`'s final status and end time.
    pub fn finish_run(&self, run_id: &str, status: &str, end_ms: i64) -> Result<(), MlflowError> {
        self.post(
            "runs/update",
            &json!({"run_id": run_id, "status": status, "end_time": end_ms}),
        )
        .map(|_| ())
    }

    /// Marks `run_id` deleted (a run whose export stopped half-way, before it is made anew).
    pub fn delete_run(&self, run_id: &str) -> Result<(), MlflowError> {
        self.post("runs/delete", &json!({"run_id": run_id}))
            .map(|_| ())
    }

    /// The path under the artifact proxy of the file `name` of `run`'s artifacts.
    pub fn artifact_path(&self, run: &RunInfo, name: &str) -> Result<String, MlflowError> {
        let root =
            artifact_root(&run.artifact_uri).ok_or_else(|| MlflowError::NoArtifactProxy {
                uri: self.uri.clone(),
                run_id: run.run_id.clone(),
                artifact_uri: run.artifact_uri.clone(),
            })?;
        Ok(format!("{root}/{name}"))
    }

    /// Uploads `bytes` as the artifact `name` of `run`, through the server's proxy (replacing
    /// the file if it is there).
    pub fn upload_artifact(
        &self,
        run: &RunInfo,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), MlflowError> {
        let path = self.artifact_path(run, name)?;
        let endpoint = format!("mlflow-artifacts/artifacts/{path}");
        let url = format!("{}/api/2.0/{endpoint}", self.uri);
        let response = self
            .agent
            .put(&url)
            .header("Content-Type", content_type(name))
            .send(bytes);
        self.answer("PUT", &endpoint, response).map(|_| ())
    }
}

/// `(key, value)` pairs as MLflow's `[{key, value}]`.
fn pairs(pairs: &[(String, String)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

/// The path under the artifact proxy of an `mlflow-artifacts:` URI (`mlflow-artifacts:/1/abc/
/// artifacts` or `mlflow-artifacts://host:port/1/abc/artifacts` → `1/abc/artifacts`); None for
/// another scheme (the server stores artifacts where the client must write them itself).
pub fn artifact_root(artifact_uri: &str) -> Option<String> {
    let rest = artifact_uri.strip_prefix("mlflow-artifacts:")?;
    let path = match rest.strip_prefix("//") {
        // An authority (host:port) before the path.
        Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
        None => rest,
    };
    let path = path.trim_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

/// The content type an artifact is uploaded with, so the UI previews it.
fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("md") => "text/markdown; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("toml") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_of_the_proxy_map_to_its_paths() {
        assert_eq!(
            artifact_root("mlflow-artifacts:/1/abc/artifacts").as_deref(),
            Some("1/abc/artifacts")
        );
        assert_eq!(
            artifact_root("mlflow-artifacts://127.0.0.1:5000/1/abc/artifacts/").as_deref(),
            Some("1/abc/artifacts")
        );
        assert_eq!(artifact_root("file:///tmp/mlruns/1/abc/artifacts"), None);
        assert_eq!(artifact_root("mlflow-artifacts:/"), None);
    }

    #[test]
    fn a_tracking_uri_must_be_http() {
        for bad in ["127.0.0.1:5000", "file:///tmp/mlruns", "http://", ""] {
            let e = Client::new(bad).err().unwrap();
            assert!(
                e.to_string().contains("not an http:// or https:// URL"),
                "{e}"
            );
        }
        assert_eq!(
            Client::new("http://127.0.0.1:5000/").unwrap().uri(),
            "http://127.0.0.1:5000"
        );
    }

    #[test]
    fn an_unreachable_server_is_named() {
        // A port nothing listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let uri = format!("http://127.0.0.1:{port}");
        let e = Client::new(&uri).unwrap().healthy().unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("MLflow server at {uri} is unreachable")),
            "{text}"
        );
    }
}

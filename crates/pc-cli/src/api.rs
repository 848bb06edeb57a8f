//! Every call `pc` makes into pc-devices and pc-http, in one place.
//!
//! The rest of the tool speaks in `pc_models` types, [`Failure`] and [`Exit`]: when the
//! libraries change, this is the one file to adapt. It is also where library errors
//! become exit codes (only pc-cli knows about those).

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pc_devices::ops::{GetBatchStatus, Operation};
use pc_devices::{DevicesClient, ErrorKind, UploadOptions, UploadPart};
use pc_http::{
    BaseUrl, CallDeadline, ClientCredentials, ClientOptions, Cloud, DeviceAuthorization,
    DeviceCodeGrant, Diagnostics, Pipeline, RefreshTokenGrant, RetryPolicy, Secret, StaticToken,
    TokenProvider, TokenResponse, UreqTransport,
};
use pc_models::{
    BatchId, BatchUploadDetails, CustomerId, Device, DeviceBatch, DeviceId, TrackingId,
};

use crate::exit::Exit;
use crate::refresh::TokenFileProvider;
use crate::scan::{BatchScan, scan};

/// Why a command stopped: the exit code, and what to tell the user.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// One sentence (or a list) for people: the status, the service's code and
    /// description, `MS-CorrelationId` and `MS-RequestId` where a call was made.
    pub message: String,
    /// The HTTP status of the failing answer, when there was one.
    pub status: Option<u16>,
    /// The `Retry-After` the failing answer asked for.
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// An invalid invocation or input (exit 2): nothing was sent.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A failure with an exit code and a message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    /// What to do about an answer that often has a simple cause.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.status? {
            401 => "the token was refused: a token lives about an hour, and must be for the \
                    resource https://api.partnercenter.microsoft.com; set \
                    PARTNER_CENTER_ACCESS_TOKEN anew, or use the client-credential variables"
                .to_owned(),
            403 => "the credentials lack the right: the customer must be one of yours, and \
                    creating batches needs an app+user sign-in (app-only tokens can read \
                    status)"
                .to_owned(),
            404 => "check the customer id, tracking id, batch and device names; a batch \
                    uploaded a moment ago may not be known yet"
                .to_owned(),
            429 => match self.retry_after {
                Some(after) => format!(
                    "Partner Center is throttling this partner; it takes calls again in {}s \
                     (raise --max-retry-after to wait that long)",
                    after.as_secs()
                ),
                None => {
                    "Partner Center is throttling this partner; try again in a minute".to_owned()
                }
            },
            _ => return None,
        };
        Some(hint)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The exit code of a library error. The classes come from the library; the numbers are
/// this tool's contract.
fn exit_of(kind: ErrorKind) -> Exit {
    match kind {
        ErrorKind::InvalidInput => Exit::Usage,
        ErrorKind::Api => Exit::Service,
        ErrorKind::WaitTimeout => Exit::WaitTimeout,
        ErrorKind::Transport | ErrorKind::Decode => Exit::Transport,
        // A class added later: the answer could not be used.
        _ => Exit::Transport,
    }
}

impl From<pc_devices::Error> for Failure {
    fn from(error: pc_devices::Error) -> Self {
        let mut message = error.to_string();
        if matches!(&error, pc_devices::Error::Http(http) if http.needs_new_sign_in()) {
            message.push_str("; sign in again with `pc auth login`");
        }
        Self {
            exit: exit_of(error.kind()),
            status: error.status().map(|status| status.as_u16()),
            retry_after: error.retry_after(),
            message,
        }
    }
}

impl From<pc_http::Error> for Failure {
    fn from(error: pc_http::Error) -> Self {
        pc_devices::Error::from(error).into()
    }
}

/// Where the service is and how to talk to it: the configuration table's values,
/// already resolved from flags, environment and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--base-url`, else the cloud's API base.
    pub base_url: Option<String>,
    /// `--cloud`: `global`, `germany`, `usgov` or `china`.
    pub cloud: String,
    /// `--authority-url`, else the cloud's token authority.
    pub authority_url: Option<String>,
    /// `--locale`.
    pub locale: String,
    /// `--correlation-id`, or one made for this invocation.
    pub correlation_id: String,
    /// `--timeout`: one attempt, connect to last byte.
    pub timeout: Duration,
    /// `--max-retries`.
    pub max_retries: u32,
    /// `--max-retry-after`.
    pub max_retry_after: Duration,
    /// `--ca-file`.
    pub ca_file: Option<std::path::PathBuf>,
}

/// Who `pc` is to the service.
pub enum Credentials {
    /// `PARTNER_CENTER_ACCESS_TOKEN`, used as it is.
    AccessToken(Secret),
    /// App-only: the client-credentials grant.
    AppOnly {
        /// `PARTNER_CENTER_TENANT_ID`.
        tenant: String,
        /// `PARTNER_CENTER_CLIENT_ID`.
        client_id: String,
        /// `PARTNER_CENTER_CLIENT_SECRET`.
        client_secret: Secret,
    },
    /// App+user: `PARTNER_CENTER_REFRESH_TOKEN` with the tenant and client id (and the
    /// client secret of a confidential app); a rolled refresh token is kept in memory.
    RefreshToken {
        /// `PARTNER_CENTER_TENANT_ID`.
        tenant: String,
        /// `PARTNER_CENTER_CLIENT_ID`.
        client_id: String,
        /// `PARTNER_CENTER_CLIENT_SECRET`, for a confidential app.
        client_secret: Option<Secret>,
        /// `PARTNER_CENTER_REFRESH_TOKEN`.
        refresh_token: Secret,
    },
    /// App+user from the token file `pc auth login` wrote; each refresh writes the
    /// rolled refresh token back.
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// What it held when the command started.
        sign_in: crate::token_file::SignIn,
        /// `PARTNER_CENTER_CLIENT_SECRET`, when it belongs to the file's app.
        client_secret: Option<Secret>,
    },
}

impl Credentials {
    /// A bearer token used as it is.
    pub fn access_token(token: String) -> Self {
        Self::AccessToken(Secret::new(token))
    }

    /// App-only credentials.
    pub fn client_credentials(tenant: String, client_id: String, client_secret: String) -> Self {
        Self::AppOnly {
            tenant,
            client_id,
            client_secret: Secret::new(client_secret),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AccessToken(_) => f.write_str("AccessToken([redacted])"),
            Self::AppOnly {
                tenant, client_id, ..
            } => f
                .debug_struct("AppOnly")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::RefreshToken {
                tenant, client_id, ..
            } => f
                .debug_struct("RefreshToken")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::TokenFile { path, sign_in, .. } => f
                .debug_struct("TokenFile")
                .field("path", path)
                .field("sign_in", sign_in)
                .finish_non_exhaustive(),
        }
    }
}

/// Where an upload goes: `--new-batch NAME` (the first part creates it) or `--batch
/// NAME` (every part adds to it).
pub use pc_devices::UploadTarget;

/// A batch status as the service sent it: the bytes, and where they came from.
#[derive(Debug)]
pub struct StatusAnswer {
    bytes: Vec<u8>,
    status: u16,
    path: String,
    ids: String,
}

impl StatusAnswer {
    /// The JSON document, without a leading byte-order mark.
    pub fn json(&self) -> &[u8] {
        pc_models::strip_bom(&self.bytes)
    }

    /// The light pass: what the exit code and a wait need. Bytes that are not a JSON
    /// object are a response that could not be read (exit 5).
    pub fn scan(&self) -> Result<BatchScan<'_>, Failure> {
        scan(&self.bytes).map_err(|error| self.unreadable(&error))
    }

    /// The typed details, for a table.
    pub fn details(&self) -> Result<BatchUploadDetails, Failure> {
        pc_models::from_slice(&self.bytes).map_err(|error| self.unreadable(&error))
    }

    fn unreadable(&self, error: &dyn fmt::Display) -> Failure {
        let error = error.to_string();
        let what = if self.json().iter().all(u8::is_ascii_whitespace) {
            "the body is empty where JSON for BatchUploadDetails was expected".to_owned()
        } else if error.contains("BatchUploadDetails") {
            error
        } else {
            format!("{error} (expected a BatchUploadDetails object)")
        };
        Failure {
            exit: Exit::Transport,
            message: format!(
                "the response to GET {} could not be read: {what} (HTTP {}; {})",
                self.path, self.status, self.ids
            ),
            status: Some(self.status),
            retry_after: None,
        }
    }
}

/// The libraries' client, set up from [`Settings`] and [`Credentials`].
#[derive(Debug)]
pub struct Api {
    client: DevicesClient,
    /// The token file's provider, when the token comes from it.
    from_file: Option<Arc<TokenFileProvider>>,
}

/// A configuration error: exit 2, nothing sent.
fn config(error: pc_http::Error) -> Failure {
    let mut failure = Failure::from(error);
    failure.exit = Exit::Usage;
    failure
}

/// Checks a token authority URL by the rules of a base URL: https, or http to a
/// loopback host; no password, query or fragment (its message never prints a password).
fn check_authority(url: &str) -> Result<(), Failure> {
    BaseUrl::parse(url.trim())
        .map(drop)
        .map_err(|error| Failure::usage(format!("invalid authority URL: {}", config(error))))
}

impl Api {
    /// The client options and the token authority of `settings`, checked: every
    /// failure is exit 2, nothing sent.
    fn options(settings: &Settings) -> Result<(ClientOptions, String), Failure> {
        let cloud: Cloud = settings.cloud.parse().map_err(config)?;
        let base_url = match &settings.base_url {
            // The library's message names the URL where that is safe (not with a
            // password in it).
            Some(url) => BaseUrl::parse(url)
                .map_err(|error| Failure::usage(format!("invalid base URL: {}", config(error))))?,
            None => cloud.base_url(),
        };
        let authority = settings
            .authority_url
            .clone()
            .unwrap_or_else(|| cloud.authority().to_owned());
        check_authority(&authority)?;
        let extra_root_certificates = match &settings.ca_file {
            Some(path) => pc_http::tls::load_pem_file(path).map_err(config)?,
            None => Vec::new(),
        };
        let options = ClientOptions {
            base_url,
            locale: settings.locale.clone(),
            correlation_id: Some(settings.correlation_id.clone()),
            timeout: settings.timeout,
            retry: RetryPolicy {
                max_retries: settings.max_retries,
                // A longer `Retry-After` ends the call at once, throttled.
                max_retry_after: settings.max_retry_after,
                ..RetryPolicy::default()
            },
            extra_root_certificates,
            ..ClientOptions::default()
        };
        Ok((options, authority.trim().to_owned()))
    }

    /// The token authority `settings` name (`--authority-url`, else the cloud's).
    pub fn authority(settings: &Settings) -> Result<String, Failure> {
        Self::options(settings).map(|(_, authority)| authority)
    }

    /// Signs a person in with a device code at the settings' authority: `show` tells
    /// them where to go and what to type. Answers the token endpoint's success.
    pub fn sign_in(
        settings: &Settings,
        tenant: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        show: impl FnOnce(&DeviceAuthorization),
    ) -> Result<TokenResponse, Failure> {
        let (options, authority) = Self::options(settings)?;
        let transport = UreqTransport::new(&options).map_err(config)?;
        let grant =
            DeviceCodeGrant::new(&authority, tenant, client_id, client_secret).map_err(config)?;
        // The sign-in makes no API call: its pipeline has no token to give.
        let no_token = || -> Result<Secret, pc_http::Error> {
            Err(pc_http::Error::config(
                "no API call is made while signing in",
            ))
        };
        let pipeline = Pipeline::new(transport, no_token, options).map_err(config)?;
        Ok(grant.sign_in(&pipeline.token_context(), show)?)
    }

    /// Checks everything that can be checked without sending a byte (the cloud, the
    /// URLs, the CA file, the proxy, the headers) and builds the client. Every failure
    /// here is exit 2.
    pub fn connect(settings: &Settings, credentials: Credentials) -> Result<Self, Failure> {
        let (options, authority) = Self::options(settings)?;
        let transport = UreqTransport::new(&options).map_err(config)?;
        let mut from_file = None;
        let provider: Arc<dyn TokenProvider> = match credentials {
            Credentials::AccessToken(token) => Arc::new(StaticToken::new(token)),
            Credentials::AppOnly {
                tenant,
                client_id,
                client_secret,
            } => Arc::new(
                ClientCredentials::new(authority.trim(), &tenant, client_id, client_secret)
                    .map_err(config)?,
            ),
            Credentials::RefreshToken {
                tenant,
                client_id,
                client_secret,
                refresh_token,
            } => Arc::new(
                RefreshTokenGrant::new(
                    authority.trim(),
                    &tenant,
                    client_id,
                    client_secret,
                    refresh_token,
                )
                .map_err(config)?,
            ),
            Credentials::TokenFile {
                path,
                client_secret,
                ..
            } => {
                let provider = Arc::new(TokenFileProvider::new(
                    path,
                    authority.trim().to_owned(),
                    client_secret,
                ));
                from_file = Some(Arc::clone(&provider));
                provider
            }
        };
        let client = DevicesClient::builder()
            .options(options)
            .transport(transport)
            .token_provider(provider)
            .build()
            .map_err(|error| Failure {
                exit: Exit::Usage,
                ..Failure::from(error)
            })?;
        // The first refresh from the token file happens now, so that a locked or
        // refused file is said with its own exit code before anything else is sent.
        if let Some(provider) = &from_file {
            provider.refresh(&client.pipeline().token_context())?;
        }
        Ok(Self { client, from_file })
    }

    /// What a failed call means for the user. A refresh from the token file inside the
    /// call (after an hour, or on a `401`) that met a locked or unreadable file comes
    /// out of the library as a configuration error, its only class for a provider's
    /// own trouble; the file's failure is said instead, with its own exit code (a lock
    /// held past its wait is exit 5, as at start).
    pub fn failure(&self, error: pc_devices::Error) -> Failure {
        if error.kind() == ErrorKind::InvalidInput
            && let Some(failure) = self
                .from_file
                .as_ref()
                .and_then(|provider| provider.take_failure())
        {
            return failure;
        }
        error.into()
    }

    /// `GET …/batchJobStatus/{tracking}`: the answer's bytes, as sent. Within a wait,
    /// `within` bounds the call, its retries and their delays included.
    pub fn batch_status(
        &self,
        customer: CustomerId,
        tracking: TrackingId,
        within: Option<Duration>,
    ) -> Result<StatusAnswer, pc_devices::Error> {
        let mut request = GetBatchStatus::new(customer, tracking).to_request()?;
        if let Some(within) = within {
            request.extensions_mut().insert(CallDeadline(within));
        }
        let response = self.client.pipeline().send(request)?;
        let diagnostics = Diagnostics::of(&response).cloned().unwrap_or_default();
        Ok(StatusAnswer {
            status: response.status().as_u16(),
            path: diagnostics.path.clone(),
            ids: diagnostics.support_ids(),
            bytes: response.into_body(),
        })
    }

    /// Sends `devices` in parts, in order; `on_accepted` hears of each part as soon as
    /// it is accepted.
    pub fn upload(
        &self,
        customer: CustomerId,
        target: &UploadTarget,
        devices: Vec<Device>,
        options: &UploadOptions,
        on_accepted: impl FnMut(&UploadPart) + Send,
    ) -> Result<Vec<UploadPart>, pc_devices::Error> {
        self.client
            .upload_with_progress(&customer, target, devices, options, on_accepted)
    }

    /// Every batch of the customer, every page.
    pub fn batches(&self, customer: CustomerId) -> Result<Vec<DeviceBatch>, Failure> {
        self.client
            .device_batches(&customer)
            .try_collect()
            .map_err(|error| self.failure(error))
    }

    /// Every device of a batch, every page.
    pub fn devices(&self, customer: CustomerId, batch: &BatchId) -> Result<Vec<Device>, Failure> {
        self.client
            .devices(&customer, batch)
            .try_collect()
            .map_err(|error| self.failure(error))
    }

    /// Deletes one device from a batch.
    pub fn delete_device(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        device: &DeviceId,
    ) -> Result<(), Failure> {
        self.client
            .delete_device(&customer, batch, device)
            .map_err(|error| self.failure(error))
    }
}

/// The devices of an Autopilot CSV file, and what to tell the user about it.
#[derive(Debug)]
pub struct CsvDevices {
    /// The devices, in file order.
    pub devices: Vec<Device>,
    /// Warnings for stderr (unsent columns, repeated rows).
    pub warnings: Vec<String>,
}

/// Reads an Autopilot CSV file; every bad line is reported, and nothing is to be sent
/// (exit 2).
pub fn read_autopilot_csv(path: &Path) -> Result<CsvDevices, Failure> {
    let bytes = std::fs::read(path).map_err(|error| {
        Failure::usage(format!(
            "cannot read the CSV file {}: {error}",
            path.display()
        ))
    })?;
    let import = pc_devices::parse_autopilot_csv(&bytes)
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
    Ok(CsvDevices {
        devices: import.devices,
        warnings: import
            .warnings
            .iter()
            .map(|warning| warning.to_string())
            .collect(),
    })
}

/// Whether an id can be one path segment (`.` and `..` cannot).
pub fn check_segment(what: &'static str, id: &str) -> Result<(), Failure> {
    pc_devices::path::encode_segment(what, id)
        .map(drop)
        .map_err(Failure::from)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use pc_http::testing::ScriptedTransport;

    use super::*;
    use crate::{refresh, token_file};

    fn answer(body: &str) -> StatusAnswer {
        StatusAnswer {
            bytes: body.as_bytes().to_vec(),
            status: 200,
            path: "/v1/customers/c/batchJobStatus/t".into(),
            ids: "MS-CorrelationId c, MS-RequestId r".into(),
        }
    }

    #[test]
    fn an_unreadable_status_says_what_was_expected_once() {
        for body in ["[]", "\"finished\"", "{\"status\":", " "] {
            let failure = answer(body).scan().unwrap_err();
            assert_eq!(failure.exit, Exit::Transport, "{body}");
            let message = &failure.message;
            assert!(
                message.starts_with(
                    "the response to GET /v1/customers/c/batchJobStatus/t could not be read: "
                ),
                "{message}"
            );
            assert_eq!(
                message.matches("BatchUploadDetails").count(),
                1,
                "{body}: {message}"
            );
            assert!(
                message.ends_with("(HTTP 200; MS-CorrelationId c, MS-RequestId r)"),
                "{message}"
            );
        }
        let failure = answer("[]").scan().unwrap_err();
        assert!(
            failure
                .message
                .contains("invalid type: sequence, expected a BatchUploadDetails object"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn library_classes_map_onto_the_contract() {
        assert_eq!(exit_of(ErrorKind::InvalidInput), Exit::Usage);
        assert_eq!(exit_of(ErrorKind::Api), Exit::Service);
        assert_eq!(exit_of(ErrorKind::Transport), Exit::Transport);
        assert_eq!(exit_of(ErrorKind::Decode), Exit::Transport);
        assert_eq!(exit_of(ErrorKind::WaitTimeout), Exit::WaitTimeout);
    }

    /// An [`Api`] over a scripted transport whose token comes from a token file (in a
    /// fresh folder of this test), which a refresh gives up waiting for after 100 ms.
    fn api_over_a_token_file(name: &str, transport: &ScriptedTransport) -> (Api, PathBuf) {
        let path = refresh::tests::token_file(&format!("api-{name}"));
        let provider = Arc::new(
            TokenFileProvider::new(path.clone(), refresh::tests::AUTHORITY.into(), None)
                .with_lock_wait(Duration::from_millis(100)),
        );
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token_provider(Arc::clone(&provider))
            .transport(transport.clone())
            .build()
            .unwrap();
        let api = Api {
            client,
            from_file: Some(provider),
        };
        (api, path)
    }

    const TOKEN: &str = r#"{"access_token":"first","expires_in":3600,"refresh_token":"R0lled"}"#;

    #[test]
    fn a_later_refresh_that_meets_a_locked_token_file_exits_5_naming_the_file() {
        let transport = ScriptedTransport::new();
        transport.push_json(200, TOKEN).push_status(401);
        let (api, path) = api_over_a_token_file("locked", &transport);
        // The refresh at start, as `connect` makes it; then another pc holds the lock
        // when a 401 asks for a new token.
        let provider = api.from_file.as_ref().unwrap();
        provider
            .refresh(&api.client.pipeline().token_context())
            .unwrap();
        let held = token_file::lock(&path, token_file::LOCK_WAIT).unwrap();
        let failure = api
            .batches("0b2a6f2e-5d6c-4f47-9b4f-5c3a1f0e7d21".parse().unwrap())
            .unwrap_err();
        drop(held);
        assert_eq!(failure.exit, Exit::Transport, "{failure}");
        assert!(
            failure.message.starts_with(&format!(
                "the token file {} is locked by another pc",
                path.display()
            )),
            "{failure}"
        );
        // The token request and the listing's one page, nothing after the lock.
        assert_eq!(transport.requests().len(), 2);
        // Said once: a later configuration error is the call's own.
        assert!(provider.take_failure().is_none());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn only_a_configuration_error_stands_for_the_token_files_failure() {
        let transport = ScriptedTransport::new();
        let (api, path) = api_over_a_token_file("own", &transport);
        let own = pc_devices::Error::from(pc_http::Error::config("a bad URL"));
        let failure = api.failure(own);
        assert_eq!(failure.exit, Exit::Usage);
        assert!(failure.message.contains("a bad URL"), "{failure}");

        // A refresh met the locked file, but the call failed otherwise: its own failure.
        let held = token_file::lock(&path, token_file::LOCK_WAIT).unwrap();
        let provider = api.from_file.as_ref().unwrap();
        let refused =
            pc_http::TokenProvider::token(&**provider, &api.client.pipeline().token_context());
        drop(held);
        assert_eq!(refused.unwrap_err().kind(), pc_http::ErrorKind::Config);
        let response = http::Response::new(Vec::new());
        let decode = pc_devices::Error::from(pc_http::Error::malformed(&response, "not JSON"));
        let failure = api.failure(decode);
        assert!(failure.message.contains("not JSON"), "{failure}");
        let failure = api.failure(pc_http::Error::config("locked").into());
        assert_eq!(failure.exit, Exit::Transport, "{failure}");
        assert!(
            failure.message.contains("is locked by another pc"),
            "{failure}"
        );
        assert!(transport.requests().is_empty());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

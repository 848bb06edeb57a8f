//! The client adapter: the calls `pc`'s commands make into pc-devices and pc-http
//! (the sign-in's pipeline, the batch status kept as bytes, uploads, listings,
//! deletions), answered in `pc_models` types and [`Failure`]s.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http::HeaderValue;
use pc_devices::ops::{GetBatchStatus, Operation};
use pc_devices::upload::{PlannedPart, UploadFlow, UploadStep};
use pc_devices::{DevicesClient, UploadOptions, UploadPart};
use pc_http::{
    CallDeadline, DeviceAuthorization, DeviceCodeGrant, Diagnostics, Pipeline, Secret,
    TokenContext, TokenProvider, TokenResponse, UreqTransport,
};
use pc_models::{
    BatchId, BatchUploadDetails, CustomerId, Device, DeviceBatch, DeviceId, TrackingId,
};

/// `MS-RequestId`, which pc-http adds to a call unless the caller chose it.
const MS_REQUEST_ID: &str = "ms-requestid";

use crate::exit::{Exit, Failure};
use crate::output::scan::{BatchScan, scan};
use crate::settings::{ClientSetup, config};

/// A batch status as the service sent it: the bytes, and where they came from.
#[derive(Debug)]
pub struct StatusAnswer {
    bytes: Vec<u8>,
    status: u16,
    path: String,
    ids: String,
    /// The light pass, made once however many times it is asked for (the exit code,
    /// the journal and the output all need it): what it read, or why it could not.
    scanned: OnceLock<Result<BatchScan<'static>, String>>,
    /// The typed details, parsed once for a table or csv (which judge from them too,
    /// with no light pass beside).
    typed: OnceLock<Result<Box<BatchUploadDetails>, String>>,
}

impl StatusAnswer {
    fn new(bytes: Vec<u8>, status: u16, path: String, ids: String) -> Self {
        Self {
            bytes,
            status,
            path,
            ids,
            scanned: OnceLock::new(),
            typed: OnceLock::new(),
        }
    }

    /// The JSON document, without a leading byte-order mark.
    pub fn json(&self) -> &[u8] {
        pc_models::strip_bom(&self.bytes)
    }

    /// The light pass: what the exit code and a wait need. Bytes that are not a JSON
    /// object are a response that could not be read (exit 5).
    pub fn scan(&self) -> Result<&BatchScan<'static>, Failure> {
        let scanned = self.scanned.get_or_init(|| {
            scan(&self.bytes)
                .map(BatchScan::into_owned)
                .map_err(|error| error.to_string())
        });
        scanned.as_ref().map_err(|error| self.unreadable(error))
    }

    /// The typed details, for a table or csv: parsed once however many times they are
    /// asked for.
    pub fn details(&self) -> Result<&BatchUploadDetails, Failure> {
        let typed = self.typed.get_or_init(|| {
            pc_models::from_slice(&self.bytes)
                .map(Box::new)
                .map_err(|error| error.to_string())
        });
        typed
            .as_ref()
            .map(|details| &**details)
            .map_err(|error| self.unreadable(error))
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
            call: None,
        }
    }
}

/// The libraries' blocking client, set up from a [`ClientSetup`] and a token provider.
#[derive(Debug)]
pub struct Api {
    client: DevicesClient,
    /// The API's base URL, as the journal records it.
    base_url: String,
    /// The partner's tenant, when known (see `signin::connect`).
    partner_tenant: Option<String>,
}

impl Api {
    /// Signs a person in with a device code at the setup's authority: `show` tells
    /// them where to go and what to type. Answers the token endpoint's success.
    pub fn sign_in(
        setup: &ClientSetup,
        tenant: &str,
        client_id: &str,
        client_secret: Option<Secret>,
        show: impl FnOnce(&DeviceAuthorization),
    ) -> Result<TokenResponse, Failure> {
        let transport = UreqTransport::new(&setup.options).map_err(config)?;
        let grant = DeviceCodeGrant::new(&setup.authority, tenant, client_id, client_secret)
            .map_err(config)?;
        // The sign-in makes no API call: its pipeline has no token to give.
        let no_token = || -> Result<Secret, pc_http::Error> {
            Err(pc_http::Error::config(
                "no API call is made while signing in",
            ))
        };
        let pipeline = Pipeline::new(transport, no_token, setup.options.clone())
            .map_err(config)?
            .with_interrupt(crate::interrupt::current());
        Ok(grant.sign_in(&pipeline.token_context(), show)?)
    }

    /// Builds the client (the proxy, the headers and the transport checked, sending
    /// nothing): every failure here is exit 2.
    pub fn connect(setup: ClientSetup, provider: Arc<dyn TokenProvider>) -> Result<Self, Failure> {
        let transport = UreqTransport::new(&setup.options).map_err(config)?;
        let base_url = setup.options.base_url.to_string();
        let client = DevicesClient::builder()
            .options(setup.options)
            .transport(transport)
            .token_provider(provider)
            .interrupt(crate::interrupt::current())
            .build()
            .map_err(|error| Failure::from(error).with_exit(Exit::Usage))?;
        Ok(Self {
            client,
            base_url,
            partner_tenant: None,
        })
    }

    /// This adapter, knowing the partner's tenant.
    pub fn with_partner_tenant(self, partner_tenant: Option<String>) -> Self {
        Self {
            partner_tenant,
            ..self
        }
    }

    /// The API's base URL (scheme, host, port and prefix).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The partner's tenant: the token's `tid`, else the credentials' tenant.
    pub fn partner_tenant(&self) -> Option<&str> {
        self.partner_tenant.as_deref()
    }

    /// The `MS-CorrelationId` every call of this invocation carries.
    pub fn correlation_id(&self) -> &str {
        self.client.pipeline().correlation_id()
    }

    /// An adapter over a client built elsewhere (a test's scripted transport).
    #[cfg(test)]
    pub fn from_client(client: DevicesClient) -> Self {
        Self {
            base_url: "https://partner-center.invalid".to_owned(),
            client,
            partner_tenant: None,
        }
    }

    /// Sleeps `duration`, or less once interrupted (the pipeline's sleep).
    pub fn sleep(&self, duration: Duration) {
        self.client.pipeline().sleep().sleep(duration);
    }

    /// What a token provider is given to fetch a token through this client's pipeline
    /// (its transport, timeout and retries).
    pub fn token_context(&self) -> TokenContext<'_> {
        self.client.pipeline().token_context()
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
        let status = response.status().as_u16();
        Ok(StatusAnswer::new(
            response.into_body(),
            status,
            diagnostics.path.clone(),
            diagnostics.support_ids(),
        ))
    }

    /// Sends an upload's planned parts in order, driving pc-devices' `UploadFlow` (the
    /// not-found grace included). Each part's first attempt carries `request_ids[i]`
    /// as its `MS-RequestId` (a try again of an add the service did not know yet is a
    /// new logical call, with a new one); `sending` hears of a part just before its
    /// first attempt, `accepted` as soon as it is accepted, each with the part's index.
    pub fn upload_parts(
        &self,
        parts: Vec<PlannedPart>,
        request_ids: &[String],
        options: &UploadOptions,
        mut sending: impl FnMut(usize),
        mut accepted: impl FnMut(usize, &UploadPart),
    ) -> Result<Vec<UploadPart>, pc_devices::Error> {
        let pipeline = self.client.pipeline();
        let mut flow = UploadFlow::new(parts, options);
        let (mut index, mut first_attempt) = (0, true);
        while let Some(part) = flow.next_part(Instant::now()) {
            let mut request = part.to_request()?;
            if first_attempt {
                sending(index);
                if let Some(id) = request_ids
                    .get(index)
                    .and_then(|id| HeaderValue::from_str(id).ok())
                {
                    request.headers_mut().insert(MS_REQUEST_ID, id);
                }
            }
            let sent = match pipeline.execute(request) {
                Ok(response) => part.parse_response(response),
                Err(error) => Err(error.into()),
            };
            match flow.after_send(sent, Instant::now()) {
                UploadStep::Accepted(part) => {
                    accepted(index, part);
                    (index, first_attempt) = (index + 1, true);
                }
                UploadStep::Retry { after } => {
                    first_attempt = false;
                    pipeline.sleep().sleep(after);
                }
                UploadStep::Fail(error) => return Err(error),
            }
        }
        Ok(flow.into_accepted())
    }

    /// Every batch of the customer, every page.
    pub fn batches(&self, customer: CustomerId) -> Result<Vec<DeviceBatch>, Failure> {
        Ok(self.client.device_batches(&customer).try_collect()?)
    }

    /// Every device of a batch, every page.
    pub fn devices(&self, customer: CustomerId, batch: &BatchId) -> Result<Vec<Device>, Failure> {
        Ok(self.client.devices(&customer, batch).try_collect()?)
    }

    /// Deletes one device from a batch.
    pub fn delete_device(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        device: &DeviceId,
    ) -> Result<(), Failure> {
        Ok(self.client.delete_device(&customer, batch, device)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> StatusAnswer {
        StatusAnswer::new(
            body.as_bytes().to_vec(),
            200,
            "/v1/customers/c/batchJobStatus/t".into(),
            "MS-CorrelationId c, MS-RequestId r".into(),
        )
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
    fn each_parts_first_attempt_carries_the_request_id_chosen_for_it() {
        use pc_devices::UploadTarget;
        use pc_http::testing::{FakeClock, ScriptedTransport};

        let transport = ScriptedTransport::new();
        let accepted = |tracking: &str| {
            format!("/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/{tracking}")
        };
        transport
            .push_response(
                202,
                &[(
                    "Location",
                    &accepted("0127ed8e-ff72-4983-a3d8-e8d8bd378931"),
                )],
                b"",
            )
            // The service does not know the new batch yet: the add is tried again.
            .push_status(404)
            .push_response(
                202,
                &[(
                    "Location",
                    &accepted("0127ed8e-ff72-4983-a3d8-e8d8bd378932"),
                )],
                b"",
            );
        let clock = FakeClock::new();
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token("t")
            .transport(transport.clone())
            .clock(clock.clone())
            .sleep(clock)
            .build()
            .unwrap();
        let api = Api::from_client(client);
        let customer: CustomerId = "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap();
        let options = UploadOptions {
            devices_per_request: 1,
            ..UploadOptions::default()
        };
        let devices = vec![
            Device::default().serial_number("A"),
            Device::default().serial_number("B"),
        ];
        let target = UploadTarget::NewBatch(BatchId::new("Lab").unwrap());
        let parts = pc_devices::upload::plan(&customer, &target, devices, &options).unwrap();
        let ids = [
            "11111111-1111-4111-8111-111111111111".to_owned(),
            "22222222-2222-4222-8222-222222222222".to_owned(),
        ];
        let (mut sent, mut heard) = (Vec::new(), Vec::new());
        let uploaded = api
            .upload_parts(
                parts,
                &ids,
                &options,
                |index| sent.push(index),
                |index, part| {
                    heard.push((index, part.tracking_id.to_string()));
                },
            )
            .unwrap();
        assert_eq!(uploaded.len(), 2);
        assert_eq!(sent, [0, 1], "once per part, before its first attempt");
        assert_eq!(
            heard[1],
            (1, "0127ed8e-ff72-4983-a3d8-e8d8bd378932".to_owned())
        );
        let request_ids: Vec<String> = transport
            .requests()
            .iter()
            .map(|request| {
                request.headers()["ms-requestid"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(request_ids[0], ids[0]);
        assert_eq!(request_ids[1], ids[1]);
        // The try again is a new logical call.
        assert_ne!(request_ids[2], ids[1]);
        assert_eq!(request_ids.len(), 3);
    }
}

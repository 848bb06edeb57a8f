//! The client adapter: the calls `pc`'s commands make into pc-devices and pc-http
//! (the sign-in's pipeline, the batch status kept as bytes, uploads, listings,
//! deletions), answered in `pc_models` types and [`Failure`]s.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pc_devices::ops::{GetBatchStatus, Operation};
use pc_devices::{DevicesClient, UploadOptions, UploadPart};
use pc_http::{
    CallDeadline, DeviceAuthorization, DeviceCodeGrant, Diagnostics, Pipeline, Secret,
    TokenContext, TokenProvider, TokenResponse, UreqTransport,
};
use pc_models::{
    BatchId, BatchUploadDetails, CustomerId, Device, DeviceBatch, DeviceId, TrackingId,
};

use crate::exit::{Exit, Failure};
use crate::output::scan::{BatchScan, scan};
use crate::settings::{ClientSetup, config};

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

/// The libraries' blocking client, set up from a [`ClientSetup`] and a token provider.
#[derive(Debug)]
pub struct Api {
    client: DevicesClient,
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
        let pipeline = Pipeline::new(transport, no_token, setup.options.clone()).map_err(config)?;
        Ok(grant.sign_in(&pipeline.token_context(), show)?)
    }

    /// Builds the client (the proxy, the headers and the transport checked, sending
    /// nothing): every failure here is exit 2.
    pub fn connect(setup: ClientSetup, provider: Arc<dyn TokenProvider>) -> Result<Self, Failure> {
        let transport = UreqTransport::new(&setup.options).map_err(config)?;
        let client = DevicesClient::builder()
            .options(setup.options)
            .transport(transport)
            .token_provider(provider)
            .build()
            .map_err(|error| Failure::from(error).with_exit(Exit::Usage))?;
        Ok(Self { client })
    }

    /// An adapter over a client built elsewhere (a test's scripted transport).
    #[cfg(test)]
    pub fn from_client(client: DevicesClient) -> Self {
        Self { client }
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
}

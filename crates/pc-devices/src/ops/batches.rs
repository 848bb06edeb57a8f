//! Batch status, batches and their devices, device policy updates.

use http::Method;
use pc_models::{
    BatchId, BatchUploadDetails, Collection, CustomerId, Device, DeviceBatch,
    DeviceBatchCreationRequest, DeviceId, DevicePolicyUpdateRequest, TrackingId,
};

use super::tracking::parse_accepted;
use super::{
    NextPage, Operation, UploadAccepted, customer_path, json_body, page_path, paged_operation,
    parse_json,
};
use crate::Error;
use crate::path::encode_segment;

/// `GET /v1/customers/{customer-id}/batchJobStatus/{tracking-id}`: the status of a
/// batch upload. `200` + [`BatchUploadDetails`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetBatchStatus {
    /// The customer.
    pub customer: CustomerId,
    /// The tracking id the upload answered with.
    pub tracking: TrackingId,
}

impl GetBatchStatus {
    /// The status of `tracking` for `customer`.
    pub fn new(customer: CustomerId, tracking: TrackingId) -> Self {
        Self { customer, tracking }
    }

    fn status_path(&self) -> String {
        // One buffer of the exact length, the GUIDs encoded in place (this runs on every
        // status poll; `format!` through `customer_path` built two strings).
        let mut buffer = pc_models::Uuid::encode_buffer();
        let mut path = String::with_capacity(STATUS_PATH_LEN);
        path.push_str("/v1/customers/");
        path.push_str(
            self.customer
                .as_uuid()
                .hyphenated()
                .encode_lower(&mut buffer),
        );
        path.push_str("/batchJobStatus/");
        path.push_str(
            self.tracking
                .as_uuid()
                .hyphenated()
                .encode_lower(&mut buffer),
        );
        path
    }
}

/// The length of a status path: `/v1/customers/` (14), a GUID (36),
/// `/batchJobStatus/` (16), a GUID (36).
const STATUS_PATH_LEN: usize = 14 + 36 + 16 + 36;

impl Operation for GetBatchStatus {
    type Output = BatchUploadDetails;
    const METHOD: Method = Method::GET;

    fn path(&self) -> Result<String, Error> {
        Ok(self.status_path())
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
    }
}

fn batches_path(customer: &CustomerId) -> String {
    format!("{}/deviceBatches", customer_path(customer))
}

fn devices_path(customer: &CustomerId, batch: &BatchId) -> Result<String, Error> {
    Ok(format!(
        "{}/{}/devices",
        batches_path(customer),
        encode_segment("batch id", batch.as_str())?
    ))
}

/// `POST /v1/customers/{customer-id}/deviceBatches`: creates a batch with its devices.
/// `202` + the tracking id.
#[derive(Debug, Clone)]
pub struct CreateDeviceBatch {
    /// The customer.
    pub customer: CustomerId,
    /// The new batch: its name and devices.
    pub request: DeviceBatchCreationRequest,
}

impl CreateDeviceBatch {
    /// Creates the batch of `request` for `customer`.
    pub fn new(customer: CustomerId, request: DeviceBatchCreationRequest) -> Self {
        Self { customer, request }
    }
}

impl Operation for CreateDeviceBatch {
    type Output = UploadAccepted;
    const METHOD: Method = Method::POST;

    fn path(&self) -> Result<String, Error> {
        Ok(batches_path(&self.customer))
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body("device batch creation request", &self.request)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_accepted(self, response)
    }
}

/// `POST /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices`: adds devices to
/// an existing batch (the body is a bare JSON array). `202` + the tracking id.
#[derive(Debug, Clone)]
pub struct AddDevices {
    /// The customer.
    pub customer: CustomerId,
    /// The existing batch.
    pub batch: BatchId,
    /// The devices to add.
    pub devices: Vec<Device>,
}

impl AddDevices {
    /// Adds `devices` to `batch` of `customer`.
    pub fn new(customer: CustomerId, batch: BatchId, devices: Vec<Device>) -> Self {
        Self {
            customer,
            batch,
            devices,
        }
    }
}

impl Operation for AddDevices {
    type Output = UploadAccepted;
    const METHOD: Method = Method::POST;

    fn path(&self) -> Result<String, Error> {
        devices_path(&self.customer, &self.batch)
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body("devices", &self.devices)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_accepted(self, response)
    }
}

/// `GET /v1/customers/{customer-id}/deviceBatches`: one page of the customer's batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDeviceBatches {
    /// The customer.
    pub customer: CustomerId,
    /// The page to fetch, as the previous page named it; `None` for the first.
    pub page: Option<NextPage>,
}

impl ListDeviceBatches {
    /// The first page of `customer`'s batches.
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            page: None,
        }
    }
}

impl Operation for ListDeviceBatches {
    type Output = Collection<DeviceBatch>;
    const METHOD: Method = Method::GET;

    fn path(&self) -> Result<String, Error> {
        Ok(page_path(batches_path(&self.customer), self.page.as_ref()))
    }

    fn continuation_token(&self) -> Option<&str> {
        self.page.as_ref()?.token.as_deref()
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
    }
}

paged_operation!(ListDeviceBatches, DeviceBatch);

/// `GET /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices`: one page (100
/// devices) of a batch's devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDevices {
    /// The customer.
    pub customer: CustomerId,
    /// The batch.
    pub batch: BatchId,
    /// The page to fetch, as the previous page named it; `None` for the first.
    pub page: Option<NextPage>,
}

impl ListDevices {
    /// The first page of the devices of `batch`.
    pub fn new(customer: CustomerId, batch: BatchId) -> Self {
        Self {
            customer,
            batch,
            page: None,
        }
    }
}

impl Operation for ListDevices {
    type Output = Collection<Device>;
    const METHOD: Method = Method::GET;

    fn path(&self) -> Result<String, Error> {
        Ok(page_path(
            devices_path(&self.customer, &self.batch)?,
            self.page.as_ref(),
        ))
    }

    fn continuation_token(&self) -> Option<&str> {
        self.page.as_ref()?.token.as_deref()
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
    }
}

paged_operation!(ListDevices, Device);

/// `DELETE /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices/{device-id}`:
/// deletes one device from a batch. `204`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteDevice {
    /// The customer.
    pub customer: CustomerId,
    /// The batch.
    pub batch: BatchId,
    /// The device.
    pub device: DeviceId,
}

impl DeleteDevice {
    /// Deletes `device` from `batch`.
    pub fn new(customer: CustomerId, batch: BatchId, device: DeviceId) -> Self {
        Self {
            customer,
            batch,
            device,
        }
    }
}

impl Operation for DeleteDevice {
    type Output = ();
    const METHOD: Method = Method::DELETE;

    fn path(&self) -> Result<String, Error> {
        Ok(format!(
            "{}/{}",
            devices_path(&self.customer, &self.batch)?,
            encode_segment("device id", self.device.as_str())?
        ))
    }

    fn parse_success(&self, _response: &http::Response<Vec<u8>>) -> Result<(), Error> {
        Ok(())
    }
}

/// `PATCH /v1/customers/{customer-id}/DevicePolicyUpdates`: applies policies to
/// devices. `202` + the tracking id.
#[derive(Debug, Clone)]
pub struct UpdateDevicePolicies {
    /// The customer.
    pub customer: CustomerId,
    /// The devices, each with its `id` and the `policies` to apply.
    pub request: DevicePolicyUpdateRequest,
}

impl UpdateDevicePolicies {
    /// Applies the policies of `request`.
    pub fn new(customer: CustomerId, request: DevicePolicyUpdateRequest) -> Self {
        Self { customer, request }
    }
}

impl Operation for UpdateDevicePolicies {
    type Output = UploadAccepted;
    const METHOD: Method = Method::PATCH;

    fn path(&self) -> Result<String, Error> {
        Ok(format!(
            "{}/DevicePolicyUpdates",
            customer_path(&self.customer)
        ))
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body("device policy update request", &self.request)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_accepted(self, response)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_status_path_is_built_in_one_buffer_of_its_exact_length() {
        let op = GetBatchStatus::new(
            "47021739-3426-40BF-9601-61B4B6D7C793".parse().unwrap(),
            "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse().unwrap(),
        );
        let path = op.status_path();
        assert_eq!(
            path,
            "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932"
        );
        // Sized once, never grown: the capacity asked for is exactly what it holds.
        assert_eq!(path.len(), STATUS_PATH_LEN);
        assert_eq!(path.capacity(), STATUS_PATH_LEN);
    }
}

//! Batches, devices and the status of a batch upload.

use super::{Attributes, KeyValuePair, Link, Links};
use crate::extra::resource;
use crate::{BatchId, DeviceId, ErrorCode, Timestamp, TrackingId, UploadStatus};

resource! {
    /// The status of a batch upload job: the answer to
    /// `GET /v1/customers/{customer-id}/batchJobStatus/{tracking-id}`.
    ///
    /// ```
    /// use pc_models::{BatchUploadDetails, UploadStatus};
    /// let details: BatchUploadDetails = pc_models::from_slice(
    ///     br#"{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"queued"}"#,
    /// )?;
    /// assert_eq!(details.status, Some(UploadStatus::Queued));
    /// assert!(!details.is_terminal());
    /// # Ok::<(), pc_models::ParseError>(())
    /// ```
    pub struct BatchUploadDetails {
        /// The tracking id of the job.
        "batchTrackingId" => batch_tracking_id: TrackingId,
        /// The status of the whole job.
        "status" => status: UploadStatus,
        /// When processing started.
        "startedTime" => started_time: Timestamp,
        /// When processing completed.
        "completedTime" => completed_time: Timestamp,
        /// The status of each device of the upload.
        "devicesStatus" => devices_status: Vec<DeviceUploadDetails>,
        /// `{"objectType": "BatchUploadDetails"}`.
        "attributes" => attributes: Attributes,
    }
}

impl BatchUploadDetails {
    /// The tracking id of the job, when the service sent a GUID (in any spelling; the
    /// text as received is what serializing writes). A value that is not a GUID has no
    /// typed view: it is in `extra.untyped("batchTrackingId")`.
    ///
    /// ```
    /// let details: pc_models::BatchUploadDetails =
    ///     pc_models::from_slice(br#"{"batchTrackingId":"{0127ED8E-FF72-4983-A3D8-E8D8BD378932}"}"#)?;
    /// assert_eq!(
    ///     details.tracking_id().map(|id| id.to_string()).as_deref(),
    ///     Some("0127ed8e-ff72-4983-a3d8-e8d8bd378932")
    /// );
    /// assert_eq!(
    ///     serde_json::to_string(&details).unwrap(),
    ///     r#"{"batchTrackingId":"{0127ED8E-FF72-4983-A3D8-E8D8BD378932}"}"#
    /// );
    /// # Ok::<(), pc_models::ParseError>(())
    /// ```
    pub fn tracking_id(&self) -> Option<TrackingId> {
        self.batch_tracking_id
    }

    /// True when the job's status is terminal (`finished` or `finished_with_errors`).
    pub fn is_terminal(&self) -> bool {
        self.status.as_ref().is_some_and(UploadStatus::is_terminal)
    }

    /// The devices' statuses; empty when the service sent none.
    pub fn devices(&self) -> &[DeviceUploadDetails] {
        self.devices_status.as_deref().unwrap_or_default()
    }
}

resource! {
    /// The processing status of one device of a batch upload.
    pub struct DeviceUploadDetails {
        /// The device's id, once registered.
        "deviceId" => device_id: DeviceId,
        /// The serial number sent.
        "serialNumber" => serial_number: String,
        /// The product key sent.
        "productKey" => product_key: String,
        /// The device's status.
        "status" => status: UploadStatus,
        /// The device error code, a string such as `"808"`; empty or absent when none.
        "errorCode" => error_code: ErrorCode,
        /// The error's description, often its name, e.g. `ZtdDeviceAssignedToOtherTenant`.
        "errorDescription" => error_description: String,
        /// `{"objectType": "DeviceUploadDetails"}`.
        "attributes" => attributes: Attributes,
    }
}

resource! {
    /// A device, as uploaded in a batch and as listed from one.
    pub struct Device {
        /// The device's id: free-form text, not a GUID.
        "id" => id: DeviceId,
        /// The serial number.
        "serialNumber" => serial_number: String,
        /// The Windows product key (product id).
        "productKey" => product_key: String,
        /// The hardware hash, base64, several KB.
        "hardwareHash" => hardware_hash: String,
        /// The model name.
        "modelName" => model_name: String,
        /// The manufacturer's name.
        "oemManufacturerName" => oem_manufacturer_name: String,
        /// Policies assigned: `[{"key": "o_o_b_e", "value": "<policy id>"}]`.
        "policies" => policies: Vec<KeyValuePair>,
        /// Who uploaded it.
        "createdBy" => created_by: String,
        /// When it was uploaded.
        "uploadedDate" => uploaded_date: Timestamp,
        /// What may be done with it, e.g. `["GET", "DELETE"]`.
        "allowedOperations" => allowed_operations: Vec<String>,
        /// Links to related resources.
        "links" => links: Links,
        /// `{"objectType": "Device"}`.
        "attributes" => attributes: Attributes,
    }
}

/// The devices an upload may carry: each one of the combinations of identifiers the
/// service accepts. Any other combination is answered, per device, with `803`
/// (`MissingZtdSerialNumberAndProductKey`).
///
/// - a hardware hash ([`Device::with_hardware_hash`]), alone or with a serial number
///   and/or a product key;
/// - a product key ([`Device::with_product_key`]), with or without a serial number;
/// - a serial number with the manufacturer and model names
///   ([`Device::with_serial_and_model`]).
///
/// ```
/// use pc_models::Device;
///
/// let by_hash = Device::with_hardware_hash("T0FBQUFBQUE=").serial_number("PF0ABC12");
/// let by_key = Device::with_product_key("00329-00000-00003-AA606");
/// let by_model = Device::with_serial_and_model("PF0ABC12", "Contoso", "Laptop 7");
/// assert_eq!(by_hash.serial_number.as_deref(), Some("PF0ABC12"));
/// assert_eq!(by_key.product_key.as_deref(), Some("00329-00000-00003-AA606"));
/// assert_eq!(by_model.oem_manufacturer_name.as_deref(), Some("Contoso"));
/// ```
impl Device {
    /// A device identified by its hardware hash (base64, as `Get-WindowsAutopilotInfo`
    /// captures it).
    pub fn with_hardware_hash(hardware_hash: impl Into<String>) -> Self {
        Self {
            hardware_hash: Some(hardware_hash.into()),
            ..Self::default()
        }
    }

    /// A device identified by its Windows product key (product id).
    pub fn with_product_key(product_key: impl Into<String>) -> Self {
        Self {
            product_key: Some(product_key.into()),
            ..Self::default()
        }
    }

    /// A device identified by its serial number with its manufacturer and model names.
    pub fn with_serial_and_model(
        serial_number: impl Into<String>,
        manufacturer: impl Into<String>,
        model: impl Into<String>,
    ) -> Self {
        Self {
            serial_number: Some(serial_number.into()),
            oem_manufacturer_name: Some(manufacturer.into()),
            model_name: Some(model.into()),
            ..Self::default()
        }
    }

    /// The same device with its serial number (beside a hash or a product key).
    pub fn serial_number(mut self, serial_number: impl Into<String>) -> Self {
        self.serial_number = Some(serial_number.into());
        self
    }

    /// The same device with its product key (beside a hash).
    pub fn product_key(mut self, product_key: impl Into<String>) -> Self {
        self.product_key = Some(product_key.into());
        self
    }
}

resource! {
    /// The body of `POST …/deviceBatches`: a new batch with its devices.
    pub struct DeviceBatchCreationRequest {
        /// The new batch's name.
        "batchId" => batch_id: BatchId,
        /// The devices to upload.
        "devices" => devices: Vec<Device>,
        /// `{"objectType": "DeviceBatchCreationRequest"}`.
        "attributes" => attributes: Attributes,
    }
}

impl DeviceBatchCreationRequest {
    /// A request creating `batch_id` with `devices`.
    pub fn new(batch_id: BatchId, devices: Vec<Device>) -> Self {
        Self {
            batch_id: Some(batch_id),
            devices: Some(devices),
            attributes: Some(Attributes::of("DeviceBatchCreationRequest")),
            ..Self::default()
        }
    }
}

resource! {
    /// The body of `PATCH …/DevicePolicyUpdates`: devices, each with its `id` and the
    /// `policies` to apply.
    pub struct DevicePolicyUpdateRequest {
        /// The devices to update.
        "devices" => devices: Vec<Device>,
        /// `{"objectType": "DevicePolicyUpdateRequest"}`.
        "attributes" => attributes: Attributes,
    }
}

impl DevicePolicyUpdateRequest {
    /// A request applying each device's `policies`.
    pub fn new(devices: Vec<Device>) -> Self {
        Self {
            devices: Some(devices),
            attributes: Some(Attributes::of("DevicePolicyUpdateRequest")),
            ..Self::default()
        }
    }
}

resource! {
    /// A device batch of a customer. The service spells some fields two ways; each
    /// spelling is kept as received.
    pub struct DeviceBatch {
        /// The batch's name.
        "id" => id: BatchId,
        /// Who created it.
        "createdBy" => created_by: String,
        /// When it was created (the reference pages' spelling).
        "creationDate" => creation_date: Timestamp,
        /// When it was created (another spelling seen).
        "creationTime" => creation_time: Timestamp,
        /// How many devices it holds (the reference pages' spelling).
        "devicesCount" => devices_count: u64,
        /// How many devices it holds (one doc page's spelling).
        "deviceCount" => device_count: u64,
        /// A link to the batch's devices; its `uri` may hold an unencoded space.
        "devicesLink" => devices_link: Link,
        /// The batch's status, seen in an example.
        "status" => status: UploadStatus,
        /// Links to related resources.
        "links" => links: Links,
        /// `{"objectType": "DeviceBatch"}`.
        "attributes" => attributes: Attributes,
    }
}

impl DeviceBatch {
    /// How many devices the batch holds, whichever spelling the service used; `None`
    /// also when the count is not a non-negative integer (a string, a float: then it is
    /// in `extra.untyped("devicesCount")` or `extra.untyped("deviceCount")`).
    pub fn count(&self) -> Option<u64> {
        self.devices_count.or(self.device_count)
    }

    /// When the batch was created, whichever spelling the service used.
    pub fn created(&self) -> Option<&Timestamp> {
        self.creation_date.as_ref().or(self.creation_time.as_ref())
    }
}

//! The .NET-style path to each operation: `client.customer(cid).device_batches()
//! .by_id(batch).devices().get()`.
//!
//! These values only name a resource; the calls on them (`get`, `create`, `delete`,
//! …) come from the client they were made from, blocking or async, with the same
//! names on both.

use pc_models::{BatchId, CustomerId, DeviceId, PolicyId, TrackingId};

/// A customer's device-deployment resources: `client.customer(cid)`.
#[derive(Debug)]
pub struct CustomerOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
}

// Derived `Clone`/`Copy` would ask the same of `C`; a shared reference needs neither.
impl<C> Clone for CustomerOperations<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for CustomerOperations<'_, C> {}

impl<'a, C> CustomerOperations<'a, C> {
    pub(crate) fn new(client: &'a C, customer: CustomerId) -> Self {
        Self { client, customer }
    }

    /// The customer.
    pub fn id(&self) -> CustomerId {
        self.customer
    }

    /// The status of one batch upload: `…/batchJobStatus/{tracking-id}`.
    pub fn batch_upload_status(&self, tracking: TrackingId) -> BatchUploadStatusOperations<'a, C> {
        BatchUploadStatusOperations {
            client: self.client,
            customer: self.customer,
            tracking,
        }
    }

    /// The customer's device batches: `…/deviceBatches`.
    pub fn device_batches(&self) -> DeviceBatchesOperations<'a, C> {
        DeviceBatchesOperations {
            client: self.client,
            customer: self.customer,
        }
    }

    /// Device policy updates: `…/DevicePolicyUpdates`.
    pub fn device_policy(&self) -> DevicePolicyOperations<'a, C> {
        DevicePolicyOperations {
            client: self.client,
            customer: self.customer,
        }
    }

    /// The customer's configuration policies: `…/policies`.
    pub fn configuration_policies(&self) -> ConfigurationPoliciesOperations<'a, C> {
        ConfigurationPoliciesOperations {
            client: self.client,
            customer: self.customer,
        }
    }
}

/// One batch upload's status: `customer(cid).batch_upload_status(tid)`.
#[derive(Debug)]
pub struct BatchUploadStatusOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
    pub(crate) tracking: TrackingId,
}

/// The customer's device batches: `customer(cid).device_batches()`.
#[derive(Debug)]
pub struct DeviceBatchesOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
}

impl<'a, C> DeviceBatchesOperations<'a, C> {
    /// One batch: `…/deviceBatches/{batch-id}`.
    pub fn by_id(&self, batch: &BatchId) -> DeviceBatchOperations<'a, C> {
        DeviceBatchOperations {
            client: self.client,
            customer: self.customer,
            batch: batch.clone(),
        }
    }
}

/// One device batch: `device_batches().by_id(batch)`.
#[derive(Debug)]
pub struct DeviceBatchOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
    pub(crate) batch: BatchId,
}

impl<'a, C> DeviceBatchOperations<'a, C> {
    /// The batch's devices: `…/deviceBatches/{batch-id}/devices`.
    pub fn devices(&self) -> DevicesOperations<'a, C> {
        DevicesOperations {
            client: self.client,
            customer: self.customer,
            batch: self.batch.clone(),
        }
    }
}

/// The devices of a batch: `by_id(batch).devices()`.
#[derive(Debug)]
pub struct DevicesOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
    pub(crate) batch: BatchId,
}

impl<'a, C> DevicesOperations<'a, C> {
    /// One device: `…/devices/{device-id}`.
    pub fn by_id(&self, device: &DeviceId) -> DeviceOperations<'a, C> {
        DeviceOperations {
            client: self.client,
            customer: self.customer,
            batch: self.batch.clone(),
            device: device.clone(),
        }
    }
}

/// One device of a batch: `devices().by_id(device)`.
#[derive(Debug)]
pub struct DeviceOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
    pub(crate) batch: BatchId,
    pub(crate) device: DeviceId,
}

/// Device policy updates: `customer(cid).device_policy()`.
#[derive(Debug)]
pub struct DevicePolicyOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
}

/// The customer's configuration policies: `customer(cid).configuration_policies()`.
#[derive(Debug)]
pub struct ConfigurationPoliciesOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
}

impl<'a, C> ConfigurationPoliciesOperations<'a, C> {
    /// One policy: `…/policies/{policy-id}`.
    pub fn by_id(&self, policy: &PolicyId) -> ConfigurationPolicyOperations<'a, C> {
        ConfigurationPolicyOperations {
            client: self.client,
            customer: self.customer,
            policy: policy.clone(),
        }
    }
}

/// One configuration policy: `configuration_policies().by_id(policy)`.
#[derive(Debug)]
pub struct ConfigurationPolicyOperations<'a, C> {
    pub(crate) client: &'a C,
    pub(crate) customer: CustomerId,
    pub(crate) policy: PolicyId,
}

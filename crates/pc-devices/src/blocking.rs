//! The blocking client: [`DevicesClient`], on a [`pc_http::Pipeline`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use pc_http::runtime::{Clock, Sleep, SystemClock, ThreadSleep};
use pc_http::{ClientOptions, Cloud, HttpTransport, Pipeline, Secret, TokenProvider};
use pc_models::{
    BatchId, BatchUploadDetails, Collection, ConfigurationPolicy, CustomerId, Device, DeviceBatch,
    DeviceBatchCreationRequest, DeviceId, DevicePolicyUpdateRequest, PolicyId, TrackingId,
};

use crate::fluent::{
    BatchUploadStatusOperations, ConfigurationPoliciesOperations, ConfigurationPolicyOperations,
    CustomerOperations, DeviceBatchesOperations, DeviceOperations, DevicePolicyOperations,
    DevicesOperations,
};
use crate::glue::{SharedClock, listing_path, no_token};
use crate::ops::{
    AddDevices, CreateConfigurationPolicy, CreateDeviceBatch, DeleteConfigurationPolicy,
    DeleteDevice, GetBatchStatus, GetConfigurationPolicy, ListConfigurationPolicies,
    ListDeviceBatches, ListDevices, Operation, PagedOperation, UpdateConfigurationPolicy,
    UpdateDevicePolicies,
};
use crate::paging::{DEFAULT_MAX_PAGES, PageGuard};
use crate::wait::{WaitStep, next_step};
use crate::{Error, UploadAccepted, WaitOptions};

/// The blocking device-deployment client. Cheap to clone; no async runtime.
///
/// Every operation is a direct method (`client.batch_upload_status(customer, tracking)`)
/// and a step of a .NET-style path
/// (`client.customer(customer).batch_upload_status(tracking).get()`).
///
/// ```
/// use pc_devices::DevicesClient;
/// use pc_http::testing::ScriptedTransport;
///
/// let transport = ScriptedTransport::new();
/// transport.push_json(200, r#"{"status":"finished","devicesStatus":[{"status":"finished"}]}"#);
/// let client = DevicesClient::builder()
///     .token("t0ken")
///     .transport(transport.clone())
///     .build()?;
///
/// let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap();
/// let tracking = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse().unwrap();
/// let details = client.customer(customer).batch_upload_status(tracking).get()?;
/// assert!(details.is_terminal());
/// assert_eq!(
///     transport.requests()[0].uri().path(),
///     "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932"
/// );
/// # Ok::<(), pc_devices::Error>(())
/// ```
#[derive(Clone)]
pub struct DevicesClient {
    pipeline: Pipeline,
    clock: Arc<dyn Clock>,
    sleep: Arc<dyn Sleep>,
    max_pages: usize,
}

impl fmt::Debug for DevicesClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicesClient")
            .field("pipeline", &self.pipeline)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl DevicesClient {
    /// A client on `pipeline` (its base URL, token, headers and retries).
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            clock: Arc::new(SystemClock),
            sleep: Arc::new(ThreadSleep),
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// A builder: base URL or cloud, token, options; the ureq backend unless a
    /// transport is given.
    pub fn builder() -> DevicesClientBuilder {
        DevicesClientBuilder::default()
    }

    /// The same client with another clock for waits (tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The same client with another sleep between polls (tests).
    pub fn with_sleep(mut self, sleep: impl Sleep + 'static) -> Self {
        self.sleep = Arc::new(sleep);
        self
    }

    /// The same client with another bound on the pages of one listing (default
    /// [`DEFAULT_MAX_PAGES`]).
    pub fn with_max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// The pipeline requests travel through.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Sends any operation: its request through the pipeline, the answer through its
    /// parser.
    pub fn send<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        let request = op.to_request()?;
        let response = self.pipeline.send(request)?;
        op.parse_response(response.into_http())
    }

    /// Every page of a listing, from the page `op` asks for, following continuation
    /// tokens; bounded (see [`crate::paging`]).
    pub fn pages<O: PagedOperation>(&self, op: O) -> Pages<O> {
        let guard = PageGuard::new(listing_path(&op), self.max_pages, op.continuation_token());
        Pages {
            client: self.clone(),
            next: Some(op),
            guard,
            pending: None,
        }
    }

    /// Every item of a listing, page after page.
    pub fn items<O: PagedOperation>(&self, op: O) -> Items<O> {
        Items {
            pages: self.pages(op),
            buffer: VecDeque::new(),
        }
    }

    /// The .NET-style path to a customer's resources.
    pub fn customer(&self, customer: CustomerId) -> CustomerOperations<'_, Self> {
        CustomerOperations::new(self, customer)
    }

    /// The status of a batch upload.
    pub fn batch_upload_status(
        &self,
        customer: CustomerId,
        tracking: TrackingId,
    ) -> Result<BatchUploadDetails, Error> {
        self.send(&GetBatchStatus::new(customer, tracking))
    }

    /// Polls a batch upload until its status is terminal, every `options.interval`,
    /// giving up after `options.deadline` with [`Error::WaitTimeout`] (which carries the
    /// last details). Each poll is a new `MS-RequestId` under the pipeline's one
    /// `MS-CorrelationId`.
    pub fn wait_for_completion(
        &self,
        customer: CustomerId,
        tracking: TrackingId,
        options: &WaitOptions,
    ) -> Result<BatchUploadDetails, Error> {
        let started = self.clock.instant();
        let mut polls = 0;
        loop {
            let details = self.batch_upload_status(customer, tracking)?;
            polls += 1;
            let now = self.clock.instant();
            let waited = now.saturating_duration_since(started);
            options.report(&details, polls, waited);
            match next_step(now, started, &details, options) {
                WaitStep::Done => return Ok(details),
                WaitStep::GiveUp => {
                    return Err(Error::WaitTimeout {
                        customer,
                        tracking_id: tracking,
                        waited,
                        last: Some(Box::new(details)),
                    });
                }
                WaitStep::Poll { after } => self.sleep.sleep(after),
            }
        }
    }

    /// Creates a batch with its devices; answers the tracking id.
    pub fn create_device_batch(
        &self,
        customer: CustomerId,
        request: DeviceBatchCreationRequest,
    ) -> Result<UploadAccepted, Error> {
        self.send(&CreateDeviceBatch::new(customer, request))
    }

    /// Adds devices to an existing batch; answers the tracking id.
    pub fn add_devices(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        devices: Vec<Device>,
    ) -> Result<UploadAccepted, Error> {
        self.send(&AddDevices::new(customer, batch.clone(), devices))
    }

    /// One page of the customer's batches (`None`: the first).
    pub fn list_device_batches(
        &self,
        customer: CustomerId,
        continuation_token: Option<&str>,
    ) -> Result<Collection<DeviceBatch>, Error> {
        self.send(&ListDeviceBatches {
            customer,
            continuation_token: continuation_token.map(str::to_owned),
        })
    }

    /// Every batch of the customer, page after page.
    pub fn device_batches(&self, customer: CustomerId) -> Items<ListDeviceBatches> {
        self.items(ListDeviceBatches::new(customer))
    }

    /// Every batch of the customer, collected.
    pub fn all_device_batches(&self, customer: CustomerId) -> Result<Vec<DeviceBatch>, Error> {
        self.device_batches(customer).collect()
    }

    /// One page of a batch's devices (`None`: the first).
    pub fn list_devices(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        continuation_token: Option<&str>,
    ) -> Result<Collection<Device>, Error> {
        self.send(&ListDevices {
            customer,
            batch: batch.clone(),
            continuation_token: continuation_token.map(str::to_owned),
        })
    }

    /// Every device of a batch, page after page.
    pub fn devices(&self, customer: CustomerId, batch: &BatchId) -> Items<ListDevices> {
        self.items(ListDevices::new(customer, batch.clone()))
    }

    /// Every device of a batch, collected.
    pub fn all_devices(&self, customer: CustomerId, batch: &BatchId) -> Result<Vec<Device>, Error> {
        self.devices(customer, batch).collect()
    }

    /// Deletes one device from a batch.
    pub fn delete_device(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        device: &DeviceId,
    ) -> Result<(), Error> {
        self.send(&DeleteDevice::new(customer, batch.clone(), device.clone()))
    }

    /// Applies policies to devices; answers the tracking id.
    pub fn update_device_policies(
        &self,
        customer: CustomerId,
        request: DevicePolicyUpdateRequest,
    ) -> Result<UploadAccepted, Error> {
        self.send(&UpdateDevicePolicies::new(customer, request))
    }

    /// One page of the customer's configuration policies (`None`: the first).
    pub fn list_configuration_policies(
        &self,
        customer: CustomerId,
        continuation_token: Option<&str>,
    ) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.send(&ListConfigurationPolicies {
            customer,
            continuation_token: continuation_token.map(str::to_owned),
        })
    }

    /// Every configuration policy of the customer, page after page.
    pub fn configuration_policies(&self, customer: CustomerId) -> Items<ListConfigurationPolicies> {
        self.items(ListConfigurationPolicies::new(customer))
    }

    /// Every configuration policy of the customer, collected.
    pub fn all_configuration_policies(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<ConfigurationPolicy>, Error> {
        self.configuration_policies(customer).collect()
    }

    /// One configuration policy.
    pub fn get_configuration_policy(
        &self,
        customer: CustomerId,
        policy: &PolicyId,
    ) -> Result<ConfigurationPolicy, Error> {
        self.send(&GetConfigurationPolicy::new(customer, policy.clone()))
    }

    /// Creates a configuration policy; answers it as created.
    pub fn create_configuration_policy(
        &self,
        customer: CustomerId,
        policy: ConfigurationPolicy,
    ) -> Result<ConfigurationPolicy, Error> {
        self.send(&CreateConfigurationPolicy::new(customer, policy))
    }

    /// Replaces a configuration policy; answers it as stored.
    pub fn update_configuration_policy(
        &self,
        customer: CustomerId,
        policy_id: &PolicyId,
        policy: ConfigurationPolicy,
    ) -> Result<ConfigurationPolicy, Error> {
        self.send(&UpdateConfigurationPolicy::new(
            customer,
            policy_id.clone(),
            policy,
        ))
    }

    /// Deletes a configuration policy.
    pub fn delete_configuration_policy(
        &self,
        customer: CustomerId,
        policy: &PolicyId,
    ) -> Result<(), Error> {
        self.send(&DeleteConfigurationPolicy::new(customer, policy.clone()))
    }
}

/// Builds a [`DevicesClient`] in a few lines.
///
/// ```no_run
/// let client = pc_devices::DevicesClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token(std::env::var("PARTNER_CENTER_ACCESS_TOKEN").unwrap_or_default())
///     .build()?;
/// # Ok::<(), pc_devices::Error>(())
/// ```
#[derive(Default)]
pub struct DevicesClientBuilder {
    options: ClientOptions,
    base_url: Option<String>,
    token: Option<Arc<dyn TokenProvider>>,
    transport: Option<Arc<dyn HttpTransport>>,
    clock: Option<Arc<dyn Clock>>,
    sleep: Option<Arc<dyn Sleep>>,
    max_pages: Option<usize>,
}

impl fmt::Debug for DevicesClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevicesClientBuilder")
            .field("options", &self.options)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl DevicesClientBuilder {
    /// The pipeline options (locale, timeout, retries, correlation id, …). A base URL
    /// or cloud set on the builder wins over the one in here.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// The cloud whose API to call (default: global).
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.options.base_url = cloud.base_url();
        self.base_url = None;
        self
    }

    /// The API's base URL (scheme, host, optional port and prefix); checked by `build`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// A bearer token used as it is.
    pub fn token(self, token: impl Into<Secret>) -> Self {
        self.token_provider(pc_http::StaticToken::new(token))
    }

    /// Where tokens come from (client credentials, refresh token, your own).
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.token = Some(Arc::new(provider));
        self
    }

    /// The `MS-CorrelationId` of every call (default: a new GUID per client).
    pub fn correlation_id(mut self, correlation_id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(correlation_id.into());
        self
    }

    /// The transport (default: ureq built from the options); tests pass
    /// [`pc_http::testing::ScriptedTransport`].
    pub fn transport(mut self, transport: impl HttpTransport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The clock of retries and waits (tests pass [`pc_http::testing::FakeClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The sleep of retries and waits (tests pass [`pc_http::testing::FakeClock`]).
    pub fn sleep(mut self, sleep: impl Sleep + 'static) -> Self {
        self.sleep = Some(Arc::new(sleep));
        self
    }

    /// The most pages one listing fetches (default [`DEFAULT_MAX_PAGES`]).
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = Some(max_pages);
        self
    }

    /// The client. Fails when the base URL is unusable, no token was given, or the
    /// transport cannot be built.
    pub fn build(self) -> Result<DevicesClient, Error> {
        let mut options = self.options;
        if let Some(base_url) = &self.base_url {
            options.base_url = base_url.parse()?;
        }
        let token = self.token.ok_or_else(no_token)?;
        let token = SharedToken(token);
        let mut pipeline = match self.transport {
            Some(transport) => Pipeline::new(SharedTransport(transport), token, options)?,
            None => default_pipeline(token, options)?,
        };
        let mut client = DevicesClient::new(pipeline.clone());
        if let Some(clock) = self.clock {
            pipeline = pipeline.with_clock(SharedClock(clock.clone()));
            client.clock = clock;
        }
        if let Some(sleep) = self.sleep {
            pipeline = pipeline.with_sleep(SharedSleep(sleep.clone()));
            client.sleep = sleep;
        }
        client.pipeline = pipeline;
        if let Some(max_pages) = self.max_pages {
            client.max_pages = max_pages;
        }
        Ok(client)
    }
}

fn default_pipeline(token: SharedToken, options: ClientOptions) -> Result<Pipeline, Error> {
    Ok(Pipeline::with_ureq(token, options)?)
}

struct SharedToken(Arc<dyn TokenProvider>);

impl TokenProvider for SharedToken {
    fn token(&self, ctx: &pc_http::TokenContext<'_>) -> Result<Secret, pc_http::Error> {
        self.0.token(ctx)
    }

    fn invalidate(&self, rejected: &Secret) {
        self.0.invalidate(rejected);
    }

    fn can_refresh(&self) -> bool {
        self.0.can_refresh()
    }
}

struct SharedTransport(Arc<dyn HttpTransport>);

impl HttpTransport for SharedTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, pc_http::TransportError> {
        self.0.send(request)
    }
}

struct SharedSleep(Arc<dyn Sleep>);

impl Sleep for SharedSleep {
    fn sleep(&self, duration: std::time::Duration) {
        self.0.sleep(duration);
    }
}

/// The pages of a listing, fetched one by one as the iterator is advanced.
///
/// A page that names a token seen before, or a page past the bound, ends the listing
/// with [`Error::PagingLoop`] (after its items). After an error the iterator ends.
#[derive(Debug)]
pub struct Pages<O: PagedOperation> {
    client: DevicesClient,
    next: Option<O>,
    guard: PageGuard,
    pending: Option<Error>,
}

impl<O: PagedOperation> Iterator for Pages<O> {
    type Item = Result<Collection<O::Item>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.pending.take() {
            return Some(Err(error));
        }
        let op = self.next.take()?;
        let page = match self.client.send(&op) {
            Ok(page) => page,
            Err(error) => return Some(Err(error)),
        };
        match self.guard.next(page.next_token()) {
            Ok(Some(token)) => self.next = Some(op.with_continuation_token(Some(token))),
            Ok(None) => {}
            Err(error) => self.pending = Some(error),
        }
        Some(Ok(page))
    }
}

/// The items of a listing, every page followed; see [`Pages`].
#[derive(Debug)]
pub struct Items<O: PagedOperation> {
    pages: Pages<O>,
    buffer: VecDeque<O::Item>,
}

impl<O: PagedOperation> Iterator for Items<O> {
    type Item = Result<O::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.buffer.extend(page.items.unwrap_or_default()),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

impl BatchUploadStatusOperations<'_, DevicesClient> {
    /// The batch's status.
    pub fn get(&self) -> Result<BatchUploadDetails, Error> {
        self.client
            .batch_upload_status(self.customer, self.tracking)
    }

    /// Polls until the batch is terminal; see [`DevicesClient::wait_for_completion`].
    pub fn wait(&self, options: &WaitOptions) -> Result<BatchUploadDetails, Error> {
        self.client
            .wait_for_completion(self.customer, self.tracking, options)
    }
}

impl DeviceBatchesOperations<'_, DevicesClient> {
    /// The first page of batches.
    pub fn get(&self) -> Result<Collection<DeviceBatch>, Error> {
        self.client.list_device_batches(self.customer, None)
    }

    /// The page of `continuation_token`.
    pub fn get_page(&self, continuation_token: &str) -> Result<Collection<DeviceBatch>, Error> {
        self.client
            .list_device_batches(self.customer, Some(continuation_token))
    }

    /// Every batch, page after page.
    pub fn items(&self) -> Items<ListDeviceBatches> {
        self.client.device_batches(self.customer)
    }

    /// Every batch, collected.
    pub fn get_all(&self) -> Result<Vec<DeviceBatch>, Error> {
        self.client.all_device_batches(self.customer)
    }

    /// Creates a batch with its devices; answers the tracking id.
    pub fn create(&self, request: DeviceBatchCreationRequest) -> Result<UploadAccepted, Error> {
        self.client.create_device_batch(self.customer, request)
    }
}

impl DevicesOperations<'_, DevicesClient> {
    /// The first page of the batch's devices.
    pub fn get(&self) -> Result<Collection<Device>, Error> {
        self.client.list_devices(self.customer, &self.batch, None)
    }

    /// The page of `continuation_token`.
    pub fn get_page(&self, continuation_token: &str) -> Result<Collection<Device>, Error> {
        self.client
            .list_devices(self.customer, &self.batch, Some(continuation_token))
    }

    /// Every device of the batch, page after page.
    pub fn items(&self) -> Items<ListDevices> {
        self.client.devices(self.customer, &self.batch)
    }

    /// Every device of the batch, collected.
    pub fn get_all(&self) -> Result<Vec<Device>, Error> {
        self.client.all_devices(self.customer, &self.batch)
    }

    /// Adds devices to the batch; answers the tracking id.
    pub fn create(&self, devices: Vec<Device>) -> Result<UploadAccepted, Error> {
        self.client.add_devices(self.customer, &self.batch, devices)
    }
}

impl DeviceOperations<'_, DevicesClient> {
    /// Deletes the device from its batch.
    pub fn delete(&self) -> Result<(), Error> {
        self.client
            .delete_device(self.customer, &self.batch, &self.device)
    }
}

impl DevicePolicyOperations<'_, DevicesClient> {
    /// Applies policies to devices; answers the tracking id.
    pub fn update(&self, request: DevicePolicyUpdateRequest) -> Result<UploadAccepted, Error> {
        self.client.update_device_policies(self.customer, request)
    }
}

impl ConfigurationPoliciesOperations<'_, DevicesClient> {
    /// The first page of policies.
    pub fn get(&self) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.client.list_configuration_policies(self.customer, None)
    }

    /// The page of `continuation_token`.
    pub fn get_page(
        &self,
        continuation_token: &str,
    ) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.client
            .list_configuration_policies(self.customer, Some(continuation_token))
    }

    /// Every policy, page after page.
    pub fn items(&self) -> Items<ListConfigurationPolicies> {
        self.client.configuration_policies(self.customer)
    }

    /// Every policy, collected.
    pub fn get_all(&self) -> Result<Vec<ConfigurationPolicy>, Error> {
        self.client.all_configuration_policies(self.customer)
    }

    /// Creates a policy; answers it as created.
    pub fn create(&self, policy: ConfigurationPolicy) -> Result<ConfigurationPolicy, Error> {
        self.client
            .create_configuration_policy(self.customer, policy)
    }
}

impl ConfigurationPolicyOperations<'_, DevicesClient> {
    /// The policy.
    pub fn get(&self) -> Result<ConfigurationPolicy, Error> {
        self.client
            .get_configuration_policy(self.customer, &self.policy)
    }

    /// Replaces the policy; answers it as stored.
    pub fn update(&self, policy: ConfigurationPolicy) -> Result<ConfigurationPolicy, Error> {
        self.client
            .update_configuration_policy(self.customer, &self.policy, policy)
    }

    /// Deletes the policy.
    pub fn delete(&self) -> Result<(), Error> {
        self.client
            .delete_configuration_policy(self.customer, &self.policy)
    }
}

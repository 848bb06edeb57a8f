//! The async client: [`AsyncDevicesClient`], on a [`pc_http::AsyncPipeline`].
//!
//! It runs under any executor: the pipeline's default sleep is runtime-agnostic, and
//! listings are [`futures_core::Stream`]s.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use pc_http::runtime::{AsyncSleep, Clock, SystemClock, ThreadTimer};
use pc_http::{
    AsyncHttpTransport, AsyncPipeline, AsyncTokenProvider, ClientOptions, Cloud, Secret,
};
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

/// The async device-deployment client: the same operations, with the same names, as
/// the blocking `DevicesClient`. Cheap to clone; no ureq.
///
/// ```
/// # fn main() -> Result<(), pc_devices::Error> {
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use pc_devices::AsyncDevicesClient;
/// use pc_http::testing::ScriptedTransport;
///
/// let transport = ScriptedTransport::new();
/// transport.push_json(200, r#"{"status":"queued"}"#);
/// let client = AsyncDevicesClient::builder()
///     .token("t0ken")
///     .transport(transport.clone())
///     .build()?;
///
/// let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap();
/// let tracking = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse().unwrap();
/// let details = client.customer(customer).batch_upload_status(tracking).get().await?;
/// assert!(!details.is_terminal());
/// # Ok(())
/// # })
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncDevicesClient {
    pipeline: AsyncPipeline,
    clock: Arc<dyn Clock>,
    sleep: Arc<dyn AsyncSleep>,
    max_pages: usize,
}

impl fmt::Debug for AsyncDevicesClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncDevicesClient")
            .field("pipeline", &self.pipeline)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}

impl AsyncDevicesClient {
    /// A client on `pipeline` (its base URL, token, headers and retries).
    pub fn new(pipeline: AsyncPipeline) -> Self {
        Self {
            pipeline,
            clock: Arc::new(SystemClock),
            sleep: Arc::new(ThreadTimer),
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// A builder: base URL or cloud, token, options; the reqwest backend unless a
    /// transport is given.
    pub fn builder() -> AsyncDevicesClientBuilder {
        AsyncDevicesClientBuilder::default()
    }

    /// The same client with another clock for waits (tests).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The same client with another sleep between polls (tests, or a runtime's timer).
    pub fn with_sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
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
    pub fn pipeline(&self) -> &AsyncPipeline {
        &self.pipeline
    }

    /// Sends any operation: its request through the pipeline, the answer through its
    /// parser.
    pub async fn send<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        let request = op.to_request()?;
        let response = self.pipeline.send(request).await?;
        op.parse_response(response.into_http())
    }

    /// Every page of a listing, from the page `op` asks for, following continuation
    /// tokens; bounded (see [`crate::paging`]).
    pub fn pages<O>(&self, op: O) -> PageStream<O>
    where
        O: PagedOperation + Send + Sync + Unpin + 'static,
        O::Item: Send + 'static,
    {
        let guard = PageGuard::new(listing_path(&op), self.max_pages, op.continuation_token());
        PageStream {
            client: self.clone(),
            next: Some(op),
            guard,
            pending: None,
            in_flight: None,
        }
    }

    /// Every item of a listing, page after page.
    pub fn items<O>(&self, op: O) -> ItemStream<O>
    where
        O: PagedOperation + Send + Sync + Unpin + 'static,
        O::Item: Send + Unpin + 'static,
    {
        ItemStream {
            pages: self.pages(op),
            buffer: VecDeque::new(),
        }
    }

    /// Every item of a listing, collected.
    pub async fn collect_items<O>(&self, op: O) -> Result<Vec<O::Item>, Error>
    where
        O: PagedOperation + Send + Sync + Unpin + 'static,
        O::Item: Send + Unpin + 'static,
    {
        let mut pages = self.pages(op);
        let mut items = Vec::new();
        while let Some(page) = next(&mut pages).await {
            items.extend(page?.items.unwrap_or_default());
        }
        Ok(items)
    }

    /// The .NET-style path to a customer's resources.
    pub fn customer(&self, customer: CustomerId) -> CustomerOperations<'_, Self> {
        CustomerOperations::new(self, customer)
    }

    /// The status of a batch upload.
    pub async fn batch_upload_status(
        &self,
        customer: CustomerId,
        tracking: TrackingId,
    ) -> Result<BatchUploadDetails, Error> {
        self.send(&GetBatchStatus::new(customer, tracking)).await
    }

    /// Polls a batch upload until its status is terminal, every `options.interval`,
    /// giving up after `options.deadline` with [`Error::WaitTimeout`] (which carries the
    /// last details). Each poll is a new `MS-RequestId` under the pipeline's one
    /// `MS-CorrelationId`.
    pub async fn wait_for_completion(
        &self,
        customer: CustomerId,
        tracking: TrackingId,
        options: &WaitOptions,
    ) -> Result<BatchUploadDetails, Error> {
        let started = self.clock.instant();
        let mut polls = 0;
        loop {
            let details = self.batch_upload_status(customer, tracking).await?;
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
                WaitStep::Poll { after } => self.sleep.sleep(after).await,
            }
        }
    }

    /// Creates a batch with its devices; answers the tracking id.
    pub async fn create_device_batch(
        &self,
        customer: CustomerId,
        request: DeviceBatchCreationRequest,
    ) -> Result<UploadAccepted, Error> {
        self.send(&CreateDeviceBatch::new(customer, request)).await
    }

    /// Adds devices to an existing batch; answers the tracking id.
    pub async fn add_devices(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        devices: Vec<Device>,
    ) -> Result<UploadAccepted, Error> {
        self.send(&AddDevices::new(customer, batch.clone(), devices))
            .await
    }

    /// One page of the customer's batches (`None`: the first).
    pub async fn list_device_batches(
        &self,
        customer: CustomerId,
        continuation_token: Option<&str>,
    ) -> Result<Collection<DeviceBatch>, Error> {
        self.send(&ListDeviceBatches {
            customer,
            continuation_token: continuation_token.map(str::to_owned),
        })
        .await
    }

    /// Every batch of the customer, page after page.
    pub fn device_batches(&self, customer: CustomerId) -> ItemStream<ListDeviceBatches> {
        self.items(ListDeviceBatches::new(customer))
    }

    /// Every batch of the customer, collected.
    pub async fn all_device_batches(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<DeviceBatch>, Error> {
        self.collect_items(ListDeviceBatches::new(customer)).await
    }

    /// One page of a batch's devices (`None`: the first).
    pub async fn list_devices(
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
        .await
    }

    /// Every device of a batch, page after page.
    pub fn devices(&self, customer: CustomerId, batch: &BatchId) -> ItemStream<ListDevices> {
        self.items(ListDevices::new(customer, batch.clone()))
    }

    /// Every device of a batch, collected.
    pub async fn all_devices(
        &self,
        customer: CustomerId,
        batch: &BatchId,
    ) -> Result<Vec<Device>, Error> {
        self.collect_items(ListDevices::new(customer, batch.clone()))
            .await
    }

    /// Deletes one device from a batch.
    pub async fn delete_device(
        &self,
        customer: CustomerId,
        batch: &BatchId,
        device: &DeviceId,
    ) -> Result<(), Error> {
        self.send(&DeleteDevice::new(customer, batch.clone(), device.clone()))
            .await
    }

    /// Applies policies to devices; answers the tracking id.
    pub async fn update_device_policies(
        &self,
        customer: CustomerId,
        request: DevicePolicyUpdateRequest,
    ) -> Result<UploadAccepted, Error> {
        self.send(&UpdateDevicePolicies::new(customer, request))
            .await
    }

    /// One page of the customer's configuration policies (`None`: the first).
    pub async fn list_configuration_policies(
        &self,
        customer: CustomerId,
        continuation_token: Option<&str>,
    ) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.send(&ListConfigurationPolicies {
            customer,
            continuation_token: continuation_token.map(str::to_owned),
        })
        .await
    }

    /// Every configuration policy of the customer, page after page.
    pub fn configuration_policies(
        &self,
        customer: CustomerId,
    ) -> ItemStream<ListConfigurationPolicies> {
        self.items(ListConfigurationPolicies::new(customer))
    }

    /// Every configuration policy of the customer, collected.
    pub async fn all_configuration_policies(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<ConfigurationPolicy>, Error> {
        self.collect_items(ListConfigurationPolicies::new(customer))
            .await
    }

    /// One configuration policy.
    pub async fn get_configuration_policy(
        &self,
        customer: CustomerId,
        policy: &PolicyId,
    ) -> Result<ConfigurationPolicy, Error> {
        self.send(&GetConfigurationPolicy::new(customer, policy.clone()))
            .await
    }

    /// Creates a configuration policy; answers it as created.
    pub async fn create_configuration_policy(
        &self,
        customer: CustomerId,
        policy: ConfigurationPolicy,
    ) -> Result<ConfigurationPolicy, Error> {
        self.send(&CreateConfigurationPolicy::new(customer, policy))
            .await
    }

    /// Replaces a configuration policy; answers it as stored.
    pub async fn update_configuration_policy(
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
        .await
    }

    /// Deletes a configuration policy.
    pub async fn delete_configuration_policy(
        &self,
        customer: CustomerId,
        policy: &PolicyId,
    ) -> Result<(), Error> {
        self.send(&DeleteConfigurationPolicy::new(customer, policy.clone()))
            .await
    }
}

/// The next item of a stream (what `futures::StreamExt::next` does, without the
/// dependency).
pub async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// Builds an [`AsyncDevicesClient`] in a few lines.
///
/// ```no_run
/// let client = pc_devices::AsyncDevicesClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .token(std::env::var("PARTNER_CENTER_ACCESS_TOKEN").unwrap_or_default())
///     .build()?;
/// # Ok::<(), pc_devices::Error>(())
/// ```
#[derive(Default)]
pub struct AsyncDevicesClientBuilder {
    options: ClientOptions,
    base_url: Option<String>,
    token: Option<Arc<dyn AsyncTokenProvider>>,
    transport: Option<Arc<dyn AsyncHttpTransport>>,
    clock: Option<Arc<dyn Clock>>,
    sleep: Option<Arc<dyn AsyncSleep>>,
    max_pages: Option<usize>,
}

impl fmt::Debug for AsyncDevicesClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncDevicesClientBuilder")
            .field("options", &self.options)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl AsyncDevicesClientBuilder {
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
    pub fn token_provider(mut self, provider: impl AsyncTokenProvider + 'static) -> Self {
        self.token = Some(Arc::new(provider));
        self
    }

    /// The `MS-CorrelationId` of every call (default: a new GUID per client).
    pub fn correlation_id(mut self, correlation_id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(correlation_id.into());
        self
    }

    /// The transport (default: reqwest built from the options); tests pass
    /// [`pc_http::testing::ScriptedTransport`].
    pub fn transport(mut self, transport: impl AsyncHttpTransport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The clock of retries and waits (tests pass [`pc_http::testing::FakeClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The sleep of retries and waits (tests pass [`pc_http::testing::FakeClock`]).
    pub fn sleep(mut self, sleep: impl AsyncSleep + 'static) -> Self {
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
    pub fn build(self) -> Result<AsyncDevicesClient, Error> {
        let mut options = self.options;
        if let Some(base_url) = &self.base_url {
            options.base_url = base_url.parse()?;
        }
        let token = SharedToken(self.token.ok_or_else(no_token)?);
        let mut pipeline = match self.transport {
            Some(transport) => AsyncPipeline::new(SharedTransport(transport), token, options)?,
            None => AsyncPipeline::with_reqwest(token, options)?,
        };
        let mut client = AsyncDevicesClient::new(pipeline.clone());
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

struct SharedToken(Arc<dyn AsyncTokenProvider>);

#[async_trait::async_trait]
impl AsyncTokenProvider for SharedToken {
    async fn token(&self, ctx: &pc_http::AsyncTokenContext<'_>) -> Result<Secret, pc_http::Error> {
        self.0.token(ctx).await
    }

    fn invalidate(&self, rejected: &Secret) {
        self.0.invalidate(rejected);
    }

    fn can_refresh(&self) -> bool {
        self.0.can_refresh()
    }
}

struct SharedTransport(Arc<dyn AsyncHttpTransport>);

#[async_trait::async_trait]
impl AsyncHttpTransport for SharedTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, pc_http::TransportError> {
        self.0.send(request).await
    }
}

struct SharedSleep(Arc<dyn AsyncSleep>);

#[async_trait::async_trait]
impl AsyncSleep for SharedSleep {
    async fn sleep(&self, duration: std::time::Duration) {
        self.0.sleep(duration).await;
    }
}

type PageFuture<O> = Pin<
    Box<dyn Future<Output = (O, Result<Collection<<O as PagedOperation>::Item>, Error>)> + Send>,
>;

/// The pages of a listing, fetched one by one as the stream is polled.
///
/// A page that names a token seen before, or a page past the bound, ends the listing
/// with [`Error::PagingLoop`] (after its items). After an error the stream ends.
pub struct PageStream<O: PagedOperation> {
    client: AsyncDevicesClient,
    next: Option<O>,
    guard: PageGuard,
    pending: Option<Error>,
    in_flight: Option<PageFuture<O>>,
}

impl<O: PagedOperation + fmt::Debug> fmt::Debug for PageStream<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("next", &self.next)
            .field("guard", &self.guard)
            .field("in_flight", &self.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl<O> Stream for PageStream<O>
where
    O: PagedOperation + Send + Sync + Unpin + 'static,
    O::Item: Send + 'static,
{
    type Item = Result<Collection<O::Item>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(error) = this.pending.take() {
            return Poll::Ready(Some(Err(error)));
        }
        if this.in_flight.is_none() {
            let Some(op) = this.next.take() else {
                return Poll::Ready(None);
            };
            let client = this.client.clone();
            this.in_flight = Some(Box::pin(async move {
                let result = client.send(&op).await;
                (op, result)
            }));
        }
        let Some(in_flight) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        let (op, result) = match in_flight.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        this.in_flight = None;
        let page = match result {
            Ok(page) => page,
            Err(error) => return Poll::Ready(Some(Err(error))),
        };
        match this.guard.next(page.next_token()) {
            Ok(Some(token)) => this.next = Some(op.with_continuation_token(Some(token))),
            Ok(None) => {}
            Err(error) => this.pending = Some(error),
        }
        Poll::Ready(Some(Ok(page)))
    }
}

/// The items of a listing, every page followed; see [`PageStream`].
pub struct ItemStream<O: PagedOperation> {
    pages: PageStream<O>,
    buffer: VecDeque<O::Item>,
}

impl<O: PagedOperation + fmt::Debug> fmt::Debug for ItemStream<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl<O> Stream for ItemStream<O>
where
    O: PagedOperation + Send + Sync + Unpin + 'static,
    O::Item: Send + Unpin + 'static,
{
    type Item = Result<O::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(page.items.unwrap_or_default()),
            }
        }
    }
}

impl BatchUploadStatusOperations<'_, AsyncDevicesClient> {
    /// The batch's status.
    pub async fn get(&self) -> Result<BatchUploadDetails, Error> {
        self.client
            .batch_upload_status(self.customer, self.tracking)
            .await
    }

    /// Polls until the batch is terminal; see [`AsyncDevicesClient::wait_for_completion`].
    pub async fn wait(&self, options: &WaitOptions) -> Result<BatchUploadDetails, Error> {
        self.client
            .wait_for_completion(self.customer, self.tracking, options)
            .await
    }
}

impl DeviceBatchesOperations<'_, AsyncDevicesClient> {
    /// The first page of batches.
    pub async fn get(&self) -> Result<Collection<DeviceBatch>, Error> {
        self.client.list_device_batches(self.customer, None).await
    }

    /// The page of `continuation_token`.
    pub async fn get_page(
        &self,
        continuation_token: &str,
    ) -> Result<Collection<DeviceBatch>, Error> {
        self.client
            .list_device_batches(self.customer, Some(continuation_token))
            .await
    }

    /// Every batch, page after page.
    pub fn items(&self) -> ItemStream<ListDeviceBatches> {
        self.client.device_batches(self.customer)
    }

    /// Every batch, collected.
    pub async fn get_all(&self) -> Result<Vec<DeviceBatch>, Error> {
        self.client.all_device_batches(self.customer).await
    }

    /// Creates a batch with its devices; answers the tracking id.
    pub async fn create(
        &self,
        request: DeviceBatchCreationRequest,
    ) -> Result<UploadAccepted, Error> {
        self.client
            .create_device_batch(self.customer, request)
            .await
    }
}

impl DevicesOperations<'_, AsyncDevicesClient> {
    /// The first page of the batch's devices.
    pub async fn get(&self) -> Result<Collection<Device>, Error> {
        self.client
            .list_devices(self.customer, &self.batch, None)
            .await
    }

    /// The page of `continuation_token`.
    pub async fn get_page(&self, continuation_token: &str) -> Result<Collection<Device>, Error> {
        self.client
            .list_devices(self.customer, &self.batch, Some(continuation_token))
            .await
    }

    /// Every device of the batch, page after page.
    pub fn items(&self) -> ItemStream<ListDevices> {
        self.client.devices(self.customer, &self.batch)
    }

    /// Every device of the batch, collected.
    pub async fn get_all(&self) -> Result<Vec<Device>, Error> {
        self.client.all_devices(self.customer, &self.batch).await
    }

    /// Adds devices to the batch; answers the tracking id.
    pub async fn create(&self, devices: Vec<Device>) -> Result<UploadAccepted, Error> {
        self.client
            .add_devices(self.customer, &self.batch, devices)
            .await
    }
}

impl DeviceOperations<'_, AsyncDevicesClient> {
    /// Deletes the device from its batch.
    pub async fn delete(&self) -> Result<(), Error> {
        self.client
            .delete_device(self.customer, &self.batch, &self.device)
            .await
    }
}

impl DevicePolicyOperations<'_, AsyncDevicesClient> {
    /// Applies policies to devices; answers the tracking id.
    pub async fn update(
        &self,
        request: DevicePolicyUpdateRequest,
    ) -> Result<UploadAccepted, Error> {
        self.client
            .update_device_policies(self.customer, request)
            .await
    }
}

impl ConfigurationPoliciesOperations<'_, AsyncDevicesClient> {
    /// The first page of policies.
    pub async fn get(&self) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.client
            .list_configuration_policies(self.customer, None)
            .await
    }

    /// The page of `continuation_token`.
    pub async fn get_page(
        &self,
        continuation_token: &str,
    ) -> Result<Collection<ConfigurationPolicy>, Error> {
        self.client
            .list_configuration_policies(self.customer, Some(continuation_token))
            .await
    }

    /// Every policy, page after page.
    pub fn items(&self) -> ItemStream<ListConfigurationPolicies> {
        self.client.configuration_policies(self.customer)
    }

    /// Every policy, collected.
    pub async fn get_all(&self) -> Result<Vec<ConfigurationPolicy>, Error> {
        self.client.all_configuration_policies(self.customer).await
    }

    /// Creates a policy; answers it as created.
    pub async fn create(&self, policy: ConfigurationPolicy) -> Result<ConfigurationPolicy, Error> {
        self.client
            .create_configuration_policy(self.customer, policy)
            .await
    }
}

impl ConfigurationPolicyOperations<'_, AsyncDevicesClient> {
    /// The policy.
    pub async fn get(&self) -> Result<ConfigurationPolicy, Error> {
        self.client
            .get_configuration_policy(self.customer, &self.policy)
            .await
    }

    /// Replaces the policy; answers it as stored.
    pub async fn update(&self, policy: ConfigurationPolicy) -> Result<ConfigurationPolicy, Error> {
        self.client
            .update_configuration_policy(self.customer, &self.policy, policy)
            .await
    }

    /// Deletes the policy.
    pub async fn delete(&self) -> Result<(), Error> {
        self.client
            .delete_configuration_policy(self.customer, &self.policy)
            .await
    }
}

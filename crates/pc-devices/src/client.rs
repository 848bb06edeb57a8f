//! The one client core: [`devices_client!`] writes a client, its builder and every
//! operation once, for the blocking client (`blocking.rs`) and the async one
//! (`asynchronous.rs`) to instantiate. The two differ only in the pipeline, the traits
//! of what plugs into it, the listing types, and `async`/`.await`.
//!
//! Adding an operation: its wire logic in `ops/` (an [`Operation`](crate::ops::Operation)
//! impl), then one method below, which both clients get.

/// Writes a device-deployment client: the struct, its builder, `send`, `send_raw`,
/// the listings, the wait poller and one method per operation.
macro_rules! devices_client {
    (
        $(#[$client_doc:meta])*
        client: $client:ident,
        $(#[$builder_doc:meta])*
        builder: $builder:ident,
        pipeline: $pipeline:ident,
        transport: $transport:path,
        token_provider: $token:path,
        sleep: $sleep:path,
        default_transport: $default:path,
        pages: $pages:ident,
        items: $items:ident,
        listing_bounds: [$($listing_bounds:tt)*],
        async: [$($async:tt)*],
        await: [$($await:tt)*],
    ) => {
        $(#[$client_doc])*
        #[derive(Clone)]
        pub struct $client {
            pipeline: $pipeline,
            max_pages: usize,
        }

        impl std::fmt::Debug for $client {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($client))
                    .field("pipeline", &self.pipeline)
                    .field("max_pages", &self.max_pages)
                    .finish()
            }
        }

        impl $client {
            /// A client on `pipeline` (its base URL, token, headers, retries, clock and
            /// sleep).
            pub fn new(pipeline: $pipeline) -> Self {
                Self {
                    pipeline,
                    max_pages: $crate::paging::DEFAULT_MAX_PAGES,
                }
            }

            /// A builder: base URL or cloud, token, options.
            pub fn builder() -> $builder {
                $builder::default()
            }

            /// The pipeline requests travel through.
            pub fn pipeline(&self) -> &$pipeline {
                &self.pipeline
            }

            /// Sends any operation: its request through the pipeline, the answer
            /// through its parser.
            pub $($async)* fn send<O: $crate::ops::Operation + Sync>(
                &self,
                op: &O,
            ) -> Result<O::Output, $crate::Error> {
                let response = self.pipeline.execute(op.to_request()?) $($await)* ?;
                op.parse_response(response)
            }

            /// Sends any operation and answers its success response untouched, for a
            /// caller that keeps the bytes (to print a batch exactly as the service
            /// sent it). An error status is the same error [`send`](Self::send) gives.
            pub $($async)* fn send_raw<O: $crate::ops::Operation + Sync>(
                &self,
                op: &O,
            ) -> Result<http::Response<Vec<u8>>, $crate::Error> {
                let response = self.pipeline.execute(op.to_request()?) $($await)* ?;
                $crate::ops::success(op, response)
            }

            /// Every page of a listing, from the page `op` asks for, following the
            /// service's next-page links; bounded (see [`crate::paging`]).
            pub fn pages<O>(&self, op: O) -> $pages<O>
            where
                $($listing_bounds)*
            {
                $pages::new(self.clone(), $crate::paging::Cursor::new(op, self.max_pages))
            }

            /// Every item of a listing, page after page; see [`pages`](Self::pages).
            pub fn items<O>(&self, op: O) -> $items<O>
            where
                $($listing_bounds)*
            {
                $items::new(self.pages(op))
            }

            /// The status of a batch upload:
            /// `GET /v1/customers/{customer-id}/batchJobStatus/{tracking-id}`.
            pub $($async)* fn batch_upload_status(
                &self,
                customer: &pc_models::CustomerId,
                tracking: &pc_models::TrackingId,
            ) -> Result<pc_models::BatchUploadDetails, $crate::Error> {
                self.send(&$crate::ops::GetBatchStatus::new(*customer, *tracking)) $($await)*
            }

            /// Polls a batch upload until its status is terminal, every
            /// `options.interval`, giving up after `options.deadline` with
            /// [`Error::WaitTimeout`]($crate::Error::WaitTimeout) (which carries the last
            /// details). Each poll is a new `MS-RequestId` under the pipeline's one
            /// `MS-CorrelationId`. The sleep between polls is the pipeline's: once its
            /// interrupt is set, it ends early and the wait ends with
            /// [`ErrorKind::Interrupted`]($crate::ErrorKind::Interrupted), polling no
            /// more.
            pub $($async)* fn wait_for_completion(
                &self,
                customer: &pc_models::CustomerId,
                tracking: &pc_models::TrackingId,
                options: &$crate::WaitOptions,
            ) -> Result<pc_models::BatchUploadDetails, $crate::Error> {
                use $crate::ops::Operation as _;
                use $crate::wait::{PollOutcome, WaitFlow, WaitStep};
                let clock = self.pipeline.clock();
                let mut flow = WaitFlow::new(options, clock.instant());
                let op = $crate::ops::GetBatchStatus::new(*customer, *tracking);
                let mut last = None;
                loop {
                    // No retry inside a poll may carry it past the wait's deadline.
                    let left = pc_http::CallDeadline(flow.before_poll(clock.instant()));
                    let mut request = op.to_request()?;
                    request.extensions_mut().insert(left);
                    let polled = match self.pipeline.execute(request) $($await)* {
                        Ok(response) => op.parse_response(response),
                        Err(error) => Err(error.into()),
                    };
                    let now = clock.instant();
                    let step = flow.after_poll(PollOutcome::of(&polled), now);
                    if let Ok(details) = &polled {
                        options.report(details, flow.polls(), flow.elapsed(now));
                    }
                    match step {
                        WaitStep::Done | WaitStep::Fail => return polled,
                        WaitStep::Poll { after } => {
                            last = polled.ok().map(Box::new).or(last);
                            self.pipeline.sleep().sleep(after) $($await)*;
                        }
                        WaitStep::GiveUp => {
                            return Err($crate::Error::WaitTimeout {
                                customer: *customer,
                                tracking_id: *tracking,
                                waited: flow.elapsed(now),
                                last: polled.ok().map(Box::new).or(last),
                            });
                        }
                    }
                }
            }

            /// Creates a batch with its devices:
            /// `POST /v1/customers/{customer-id}/deviceBatches`; answers the tracking id.
            pub $($async)* fn create_device_batch(
                &self,
                customer: &pc_models::CustomerId,
                request: pc_models::DeviceBatchCreationRequest,
            ) -> Result<$crate::UploadAccepted, $crate::Error> {
                self.send(&$crate::ops::CreateDeviceBatch::new(*customer, request)) $($await)*
            }

            /// Adds devices to an existing batch:
            /// `POST /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices`;
            /// answers the tracking id.
            pub $($async)* fn add_devices(
                &self,
                customer: &pc_models::CustomerId,
                batch: &pc_models::BatchId,
                devices: Vec<pc_models::Device>,
            ) -> Result<$crate::UploadAccepted, $crate::Error> {
                self.send(&$crate::ops::AddDevices::new(*customer, batch.clone(), devices)) $($await)*
            }

            /// Uploads `devices` to `target` in parts of at most
            /// `options.devices_per_request`, in order ([`crate::upload::plan`]): with a
            /// new batch the first part creates it and the others add to it. Each part
            /// is its own logical call; an add answered `404` within
            /// `options.not_found_grace` (the service may not know a batch just
            /// created) is tried again every `options.retry_interval`.
            ///
            /// Answers every part's tracking id, in order. A part that fails after
            /// others were accepted ends the upload with
            /// [`Error::UploadIncomplete`]($crate::Error::UploadIncomplete), which
            /// names them; a first part that fails is its own error. Once the
            /// pipeline's interrupt is set no part more is sent: the upload ends so,
            /// of the class [`ErrorKind::Interrupted`]($crate::ErrorKind::Interrupted).
            pub $($async)* fn upload(
                &self,
                customer: &pc_models::CustomerId,
                target: &$crate::UploadTarget,
                devices: Vec<pc_models::Device>,
                options: &$crate::UploadOptions,
            ) -> Result<Vec<$crate::UploadPart>, $crate::Error> {
                self.upload_with_progress(customer, target, devices, options, |_| {}) $($await)*
            }

            /// [`upload`](Self::upload), telling `on_accepted` about each part as soon
            /// as it is accepted (to show its tracking id at once, whatever follows).
            pub $($async)* fn upload_with_progress(
                &self,
                customer: &pc_models::CustomerId,
                target: &$crate::UploadTarget,
                devices: Vec<pc_models::Device>,
                options: &$crate::UploadOptions,
                mut on_accepted: impl FnMut(&$crate::UploadPart) + Send,
            ) -> Result<Vec<$crate::UploadPart>, $crate::Error> {
                use $crate::upload::{UploadFlow, UploadStep};
                let parts = $crate::upload::plan(customer, target, devices, options)?;
                let clock = self.pipeline.clock();
                let mut flow = UploadFlow::new(parts, options);
                while let Some(part) = flow.next_part(clock.instant()) {
                    let sent = self.send(part) $($await)*;
                    match flow.after_send(sent, clock.instant()) {
                        UploadStep::Accepted(part) => on_accepted(part),
                        UploadStep::Retry { after } => self.pipeline.sleep().sleep(after) $($await)*,
                        UploadStep::Fail(error) => return Err(error),
                    }
                }
                Ok(flow.into_accepted())
            }

            /// Every batch of the customer, page after page:
            /// `GET /v1/customers/{customer-id}/deviceBatches`.
            pub fn device_batches(
                &self,
                customer: &pc_models::CustomerId,
            ) -> $items<$crate::ops::ListDeviceBatches> {
                self.items($crate::ops::ListDeviceBatches::new(*customer))
            }

            /// Every device of a batch, page after page:
            /// `GET /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices`.
            pub fn devices(
                &self,
                customer: &pc_models::CustomerId,
                batch: &pc_models::BatchId,
            ) -> $items<$crate::ops::ListDevices> {
                self.items($crate::ops::ListDevices::new(*customer, batch.clone()))
            }

            /// Deletes one device from a batch:
            /// `DELETE /v1/customers/{customer-id}/deviceBatches/{batch-id}/devices/{device-id}`.
            pub $($async)* fn delete_device(
                &self,
                customer: &pc_models::CustomerId,
                batch: &pc_models::BatchId,
                device: &pc_models::DeviceId,
            ) -> Result<(), $crate::Error> {
                self.send(&$crate::ops::DeleteDevice::new(*customer, batch.clone(), device.clone())) $($await)*
            }

            /// Applies policies to devices:
            /// `PATCH /v1/customers/{customer-id}/DevicePolicyUpdates`; answers the
            /// tracking id.
            pub $($async)* fn update_device_policies(
                &self,
                customer: &pc_models::CustomerId,
                request: pc_models::DevicePolicyUpdateRequest,
            ) -> Result<$crate::UploadAccepted, $crate::Error> {
                self.send(&$crate::ops::UpdateDevicePolicies::new(*customer, request)) $($await)*
            }

            /// Every configuration policy of the customer, page after page:
            /// `GET /v1/customers/{customer-id}/policies`.
            pub fn configuration_policies(
                &self,
                customer: &pc_models::CustomerId,
            ) -> $items<$crate::ops::ListConfigurationPolicies> {
                self.items($crate::ops::ListConfigurationPolicies::new(*customer))
            }

            /// One configuration policy: `GET /v1/customers/{customer-id}/policies/{policy-id}`.
            pub $($async)* fn configuration_policy(
                &self,
                customer: &pc_models::CustomerId,
                policy: &pc_models::PolicyId,
            ) -> Result<pc_models::ConfigurationPolicy, $crate::Error> {
                self.send(&$crate::ops::GetConfigurationPolicy::new(*customer, policy.clone())) $($await)*
            }

            /// Creates a configuration policy: `POST /v1/customers/{customer-id}/policies`;
            /// answers it as created.
            pub $($async)* fn create_configuration_policy(
                &self,
                customer: &pc_models::CustomerId,
                policy: pc_models::ConfigurationPolicy,
            ) -> Result<pc_models::ConfigurationPolicy, $crate::Error> {
                self.send(&$crate::ops::CreateConfigurationPolicy::new(*customer, policy)) $($await)*
            }

            /// Replaces a configuration policy:
            /// `PUT /v1/customers/{customer-id}/policies/{policy-id}`; answers it as stored.
            pub $($async)* fn update_configuration_policy(
                &self,
                customer: &pc_models::CustomerId,
                policy_id: &pc_models::PolicyId,
                policy: pc_models::ConfigurationPolicy,
            ) -> Result<pc_models::ConfigurationPolicy, $crate::Error> {
                self.send(&$crate::ops::UpdateConfigurationPolicy::new(
                    *customer,
                    policy_id.clone(),
                    policy,
                )) $($await)*
            }

            /// Deletes a configuration policy:
            /// `DELETE /v1/customers/{customer-id}/policies/{policy-id}`.
            pub $($async)* fn delete_configuration_policy(
                &self,
                customer: &pc_models::CustomerId,
                policy: &pc_models::PolicyId,
            ) -> Result<(), $crate::Error> {
                self.send(&$crate::ops::DeleteConfigurationPolicy::new(*customer, policy.clone())) $($await)*
            }
        }

        $(#[$builder_doc])*
        #[derive(Default)]
        pub struct $builder {
            options: pc_http::ClientOptions,
            cloud: Option<pc_http::Cloud>,
            base_url: Option<String>,
            correlation_id: Option<String>,
            token: Option<std::sync::Arc<dyn $token>>,
            empty_token: bool,
            transport: Option<std::sync::Arc<dyn $transport>>,
            clock: Option<std::sync::Arc<dyn pc_http::runtime::Clock>>,
            sleep: Option<std::sync::Arc<dyn $sleep>>,
            interrupt: Option<pc_http::Interrupt>,
            max_pages: Option<usize>,
        }

        impl std::fmt::Debug for $builder {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($builder))
                    .field("options", &self.options)
                    .field("cloud", &self.cloud)
                    .field("base_url", &self.base_url)
                    .field("correlation_id", &self.correlation_id)
                    .field("max_pages", &self.max_pages)
                    .finish_non_exhaustive()
            }
        }

        impl $builder {
            /// The pipeline options (locale, timeout, retries, base URL, correlation
            /// id, …); a later call replaces them all.
            ///
            /// The builder's own setters win over the values in here, whatever the
            /// order of the calls: a [`cloud`](Self::cloud) or
            /// [`base_url`](Self::base_url) over `options.base_url`, a
            /// [`correlation_id`](Self::correlation_id) over
            /// `options.correlation_id`.
            pub fn options(mut self, options: pc_http::ClientOptions) -> Self {
                self.options = options;
                self
            }

            /// The cloud whose API to call (default: global, or the options' base
            /// URL). Of `cloud` and [`base_url`](Self::base_url), the last called
            /// wins; either wins over the [`options`](Self::options).
            pub fn cloud(mut self, cloud: pc_http::Cloud) -> Self {
                self.cloud = Some(cloud);
                self.base_url = None;
                self
            }

            /// The API's base URL (scheme, host, optional port and prefix); checked by
            /// `build`. Of `base_url` and [`cloud`](Self::cloud), the last called
            /// wins; either wins over the [`options`](Self::options).
            pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
                self.base_url = Some(base_url.into());
                self.cloud = None;
                self
            }

            /// A bearer token used as it is. An empty token is refused by `build`.
            pub fn token(mut self, token: impl Into<pc_http::Secret>) -> Self {
                let token = token.into();
                self.empty_token = token.expose().trim().is_empty();
                self.token = Some(std::sync::Arc::new(pc_http::StaticToken::new(token)));
                self
            }

            /// Where tokens come from (client credentials, refresh token, your own).
            pub fn token_provider(mut self, provider: impl $token + 'static) -> Self {
                self.empty_token = false;
                self.token = Some(std::sync::Arc::new(provider));
                self
            }

            /// The `MS-CorrelationId` of every call (default: the options' one, else a
            /// new GUID per client); wins over the [`options`](Self::options)
            /// whatever the order of the calls.
            pub fn correlation_id(mut self, correlation_id: impl Into<String>) -> Self {
                self.correlation_id = Some(correlation_id.into());
                self
            }

            /// The transport (default: the crate's backend built from the options);
            /// tests pass pc-http's `testing::ScriptedTransport` (its `testing` feature).
            pub fn transport(mut self, transport: impl $transport + 'static) -> Self {
                self.transport = Some(std::sync::Arc::new(transport));
                self
            }

            /// The clock of retries and waits (tests pass pc-http's
            /// `testing::FakeClock`, of its `testing` feature).
            pub fn clock(mut self, clock: impl pc_http::runtime::Clock + 'static) -> Self {
                self.clock = Some(std::sync::Arc::new(clock));
                self
            }

            /// The sleep of retries and waits (tests pass pc-http's
            /// `testing::FakeClock`, of its `testing` feature).
            pub fn sleep(mut self, sleep: impl $sleep + 'static) -> Self {
                self.sleep = Some(std::sync::Arc::new(sleep));
                self
            }

            /// The interrupt the client honours (a caller's Ctrl-C): once it is set no
            /// request starts, a wait or an upload in progress ends with
            /// [`ErrorKind::Interrupted`]($crate::ErrorKind::Interrupted) after the
            /// request in flight, and a sleep between polls or tries ends early; see
            /// [`pc_http::Pipeline::with_interrupt`]. A client's pipeline tells which
            /// it honours: `client.pipeline().interrupt()`.
            pub fn interrupt(mut self, interrupt: pc_http::Interrupt) -> Self {
                self.interrupt = Some(interrupt);
                self
            }

            /// The most pages one listing fetches (default
            /// [`DEFAULT_MAX_PAGES`]($crate::paging::DEFAULT_MAX_PAGES)).
            pub fn max_pages(mut self, max_pages: usize) -> Self {
                self.max_pages = Some(max_pages);
                self
            }

            /// The client. Fails, sending nothing, when the base URL is unusable, no
            /// token (or an empty one) was given, or the transport cannot be built.
            pub fn build(self) -> Result<$client, $crate::Error> {
                // The builder's own setters over the options, whatever the order.
                let mut options = self.options;
                if let Some(cloud) = self.cloud {
                    options.base_url = cloud.base_url();
                }
                if let Some(base_url) = &self.base_url {
                    options.base_url = base_url.parse()?;
                }
                if let Some(correlation_id) = self.correlation_id {
                    options.correlation_id = Some(correlation_id);
                }
                if self.empty_token {
                    return Err($crate::Error::Http(pc_http::Error::config(
                        "the access token is empty: give the builder a token or a token provider",
                    )));
                }
                let token = self.token.ok_or_else(|| {
                    $crate::Error::Http(pc_http::Error::config(
                        "no access token: give the builder a token or a token provider",
                    ))
                })?;
                let mut pipeline = match self.transport {
                    Some(transport) => $pipeline::new(transport, token, options)?,
                    None => $default(token, options)?,
                };
                if let Some(clock) = self.clock {
                    pipeline = pipeline.with_clock(clock);
                }
                if let Some(sleep) = self.sleep {
                    pipeline = pipeline.with_sleep(sleep);
                }
                if let Some(interrupt) = self.interrupt {
                    pipeline = pipeline.with_interrupt(interrupt);
                }
                let mut client = $client::new(pipeline);
                if let Some(max_pages) = self.max_pages {
                    client.max_pages = max_pages;
                }
                Ok(client)
            }
        }
    };
}

pub(crate) use devices_client;

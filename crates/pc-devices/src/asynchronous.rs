//! The async client: [`AsyncDevicesClient`], on a [`pc_http::AsyncPipeline`] (reqwest;
//! no ureq). Its methods are written once, in the client core shared with the blocking
//! client.
//!
//! It runs under any executor: the pipeline's default sleep is runtime-agnostic.
//! Listings are [`futures_core::Stream`]s with an inherent `next()`, so
//! `while let Some(item) = stream.next().await` needs no import.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use pc_http::AsyncPipeline;
use pc_models::Collection;

use crate::Error;
use crate::client::devices_client;
use crate::ops::PagedOperation;
use crate::paging::Cursor;

devices_client! {
    /// The async device-deployment client: the same operations, with the same names and
    /// arguments, as the blocking `DevicesClient`. Cheap to clone; no ureq.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// use pc_devices::AsyncDevicesClient;
    /// use pc_http::testing::ScriptedTransport;
    ///
    /// let transport = ScriptedTransport::new();
    /// transport.push_json(200, r#"{"status":"queued"}"#);
    /// let client = AsyncDevicesClient::builder()
    ///     .base_url("https://partner-center.invalid")
    ///     .token("t0ken")
    ///     .transport(transport.clone())
    ///     .build()?;
    ///
    /// let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse()?;
    /// let tracking = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse()?;
    /// let details = client.batch_upload_status(&customer, &tracking).await?;
    /// assert!(!details.is_terminal());
    /// # Ok(())
    /// # })
    /// # }
    /// ```
    client: AsyncDevicesClient,
    /// Builds an [`AsyncDevicesClient`] in a few lines; the reqwest backend unless a
    /// transport is given.
    ///
    /// ```no_run
    /// let client = pc_devices::AsyncDevicesClient::builder()
    ///     .base_url("http://127.0.0.1:8080")
    ///     .token(std::env::var("PARTNER_CENTER_ACCESS_TOKEN")?)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    builder: AsyncDevicesClientBuilder,
    pipeline: AsyncPipeline,
    transport: pc_http::AsyncHttpTransport,
    token_provider: pc_http::AsyncTokenProvider,
    sleep: pc_http::runtime::AsyncSleep,
    default_transport: AsyncPipeline::with_reqwest,
    pages: PageStream,
    items: ItemStream,
    listing_bounds: [O: PagedOperation + Send + Sync + Unpin + 'static, O::Item: Send + Unpin + 'static],
    async: [async],
    await: [.await],
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
    cursor: Cursor<O>,
    in_flight: Option<PageFuture<O>>,
}

impl<O: PagedOperation + fmt::Debug> fmt::Debug for PageStream<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("cursor", &self.cursor)
            .field("in_flight", &self.in_flight.is_some())
            .finish_non_exhaustive()
    }
}

impl<O> PageStream<O>
where
    O: PagedOperation + Send + Sync + Unpin + 'static,
    O::Item: Send + 'static,
{
    fn new(client: AsyncDevicesClient, cursor: Cursor<O>) -> Self {
        Self {
            client,
            cursor,
            in_flight: None,
        }
    }

    /// The next page, `None` after the last (no import of `StreamExt` needed).
    pub async fn next(&mut self) -> Option<Result<Collection<O::Item>, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
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
        if this.in_flight.is_none() {
            let op = match this.cursor.next_op() {
                None => return Poll::Ready(None),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                Some(Ok(op)) => op,
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
        Poll::Ready(Some(this.cursor.record(&op, result)))
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

impl<O> ItemStream<O>
where
    O: PagedOperation + Send + Sync + Unpin + 'static,
    O::Item: Send + Unpin + 'static,
{
    fn new(pages: PageStream<O>) -> Self {
        Self {
            pages,
            buffer: VecDeque::new(),
        }
    }

    /// The next item, `None` after the last (no import of `StreamExt` needed).
    pub async fn next(&mut self) -> Option<Result<O::Item, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Every item, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<O::Item>, Error> {
        let mut items = Vec::new();
        while let Some(item) = self.next().await {
            items.push(item?);
        }
        Ok(items)
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

//! The blocking client: [`DevicesClient`], on a [`pc_http::Pipeline`] (ureq; no async
//! runtime). Its methods are written once, in the client core shared with the async
//! client.

use std::collections::VecDeque;

use pc_http::Pipeline;
use pc_models::Collection;

use crate::Error;
use crate::client::devices_client;
use crate::ops::PagedOperation;
use crate::paging::Cursor;

devices_client! {
    /// The blocking device-deployment client. Cheap to clone; no async runtime.
    ///
    /// Each operation is a method named after it, taking the customer first
    /// (`client.batch_upload_status(&customer, &tracking)`); listings are iterators
    /// that follow every page ([`DevicesClient::devices`]); any operation of
    /// [`crate::ops`] goes through [`DevicesClient::send`].
    ///
    /// ```
    /// use pc_devices::DevicesClient;
    /// use pc_http::testing::ScriptedTransport;
    ///
    /// let transport = ScriptedTransport::new();
    /// transport.push_json(200, r#"{"status":"finished","devicesStatus":[{"status":"finished"}]}"#);
    /// let client = DevicesClient::builder()
    ///     .base_url("https://partner-center.invalid")
    ///     .token("t0ken")
    ///     .transport(transport.clone())
    ///     .build()?;
    ///
    /// let customer = "47021739-3426-40bf-9601-61b4b6d7c793".parse()?;
    /// let tracking = "0127ed8e-ff72-4983-a3d8-e8d8bd378932".parse()?;
    /// let details = client.batch_upload_status(&customer, &tracking)?;
    /// assert!(details.is_terminal());
    /// assert_eq!(
    ///     transport.requests()[0].uri().path(),
    ///     "/v1/customers/47021739-3426-40bf-9601-61b4b6d7c793/batchJobStatus/0127ed8e-ff72-4983-a3d8-e8d8bd378932"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    client: DevicesClient,
    /// Builds a [`DevicesClient`] in a few lines; the ureq backend unless a transport
    /// is given.
    ///
    /// ```no_run
    /// let client = pc_devices::DevicesClient::builder()
    ///     .base_url("http://127.0.0.1:8080")
    ///     .token(std::env::var("PARTNER_CENTER_ACCESS_TOKEN")?)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    builder: DevicesClientBuilder,
    pipeline: Pipeline,
    transport: pc_http::HttpTransport,
    token_provider: pc_http::TokenProvider,
    sleep: pc_http::runtime::Sleep,
    default_transport: Pipeline::with_ureq,
    pages: Pages,
    items: Items,
    listing_bounds: [O: PagedOperation + Sync],
    async: [],
    await: [],
}

/// The pages of a listing, fetched one by one as the iterator is advanced.
///
/// A page that names a token seen before, or a page past the bound, ends the listing
/// with [`Error::PagingLoop`] (after its items). After an error the iterator ends.
#[derive(Debug)]
pub struct Pages<O> {
    client: DevicesClient,
    cursor: Cursor<O>,
}

impl<O: PagedOperation + Sync> Pages<O> {
    fn new(client: DevicesClient, cursor: Cursor<O>) -> Self {
        Self { client, cursor }
    }
}

impl<O: PagedOperation + Sync> Iterator for Pages<O> {
    type Item = Result<Collection<O::Item>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let op = match self.cursor.next_op()? {
            Ok(op) => op,
            Err(error) => return Some(Err(error)),
        };
        let page = self.client.send(&op);
        Some(self.cursor.record(&op, page))
    }
}

/// The items of a listing, every page followed; see [`Pages`].
#[derive(Debug)]
pub struct Items<O: PagedOperation> {
    pages: Pages<O>,
    buffer: VecDeque<O::Item>,
}

impl<O: PagedOperation + Sync> Items<O> {
    fn new(pages: Pages<O>) -> Self {
        Self {
            pages,
            buffer: VecDeque::new(),
        }
    }

    /// Every item, or the first error.
    pub fn try_collect(self) -> Result<Vec<O::Item>, Error> {
        self.collect()
    }
}

impl<O: PagedOperation + Sync> Iterator for Items<O> {
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

//! Following a listing page after page: where the next page is ([`next_page`], read
//! from the service's `links.next` or `continuationToken`), and the bound that stops a
//! listing that does not end ([`PageGuard`], [`Error::PagingLoop`]).

use std::collections::HashSet;

use pc_models::{Collection, Link};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use crate::Error;
use crate::error::PagingStop;
pub use crate::ops::NextPage;
use crate::ops::PagedOperation;

/// The default most pages one listing fetches: 10,000 (a million devices at 100 a page).
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// Characters a query keeps as they are; the rest is percent-encoded so the link's
/// query can never break the request line.
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');

/// Reads where the page after `page` is, for a listing of `collection_path` (the path
/// sent, percent-encoded, without a query).
///
/// The service's `links.next` is authoritative but read, never obeyed blindly: its
/// decoded path, without a leading `/v1`, must name the collection being listed
/// (compared without regard to ASCII case); then the next page is the collection's
/// own path plus the link's query, with the link's `MS-ContinuationToken` (any other
/// header of the link is ignored). A link to another collection, another host or with
/// a scheme is refused ([`Error::UnexpectedNextPage`]) before anything is sent.
/// Without a link, a `continuationToken` alone asks for the same path again with that
/// token. `None`: this was the last page (an empty token or link ends a listing).
///
/// ```
/// use pc_devices::paging::{next_page, NextPage};
/// let page: pc_devices::models::Collection<pc_devices::models::Device> = pc_devices::models::from_slice(br#"{
///   "items": [],
///   "links": {"next": {"uri": "/customers/c/deviceBatches/Lab A/devices?seekOperation=Next",
///     "method": "GET", "headers": [{"key": "MS-ContinuationToken", "value": "t2"}]}}
/// }"#)?;
/// let next = next_page("/v1/customers/c/deviceBatches/Lab%20A/devices", &page)?;
/// assert_eq!(next, Some(NextPage { query: Some("seekOperation=Next".into()), token: Some("t2".into()) }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn next_page<T>(
    collection_path: &str,
    page: &Collection<T>,
) -> Result<Option<NextPage>, Error> {
    let token = page
        .continuation_token
        .as_deref()
        .filter(|token| !token.trim().is_empty());
    let link = page
        .links
        .as_ref()
        .and_then(|links| links.next.as_ref())
        .filter(|link| {
            link.uri
                .as_deref()
                .is_some_and(|uri| !uri.trim().is_empty())
        });
    match link {
        Some(link) => follow_link(collection_path, link, token),
        None => Ok(token.map(NextPage::token)),
    }
}

fn follow_link(
    collection_path: &str,
    link: &Link,
    continuation_token: Option<&str>,
) -> Result<Option<NextPage>, Error> {
    let uri = link.uri.as_deref().unwrap_or_default().trim();
    let refuse = |reason: &str| {
        Err(Error::UnexpectedNextPage {
            path: collection_path.to_owned(),
            link: uri.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if uri.contains("://") || uri.starts_with("//") {
        return refuse("it names a host; a next page stays on the collection listed");
    }
    let (path, query) = match uri.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (uri, None),
    };
    let query = query
        .map(|query| query.split('#').next().unwrap_or_default())
        .filter(|query| !query.is_empty())
        .map(|query| utf8_percent_encode(query, QUERY).to_string());
    if !same_collection(path, collection_path) {
        return refuse("it names another collection");
    }
    let token = link
        .headers
        .iter()
        .flatten()
        .find(|header| {
            header
                .key
                .as_deref()
                .is_some_and(|key| key.trim().eq_ignore_ascii_case("MS-ContinuationToken"))
        })
        .and_then(|header| header.value.as_deref())
        .or(continuation_token)
        .filter(|token| !token.trim().is_empty())
        .map(str::to_owned);
    if token.is_none() && query.is_none() {
        // A link that adds nothing would fetch the same page again.
        return Ok(None);
    }
    Ok(Some(NextPage { query, token }))
}

/// Whether two paths name the same collection: decoded, without a leading `/v1`, a
/// trailing `/` or ASCII case mattering.
fn same_collection(link_path: &str, collection_path: &str) -> bool {
    fn normal(path: &str) -> String {
        let decoded = percent_decode_str(path.trim()).decode_utf8_lossy();
        let trimmed = decoded.trim_end_matches('/');
        let without_version = match trimmed.get(..3) {
            Some(prefix) if prefix.eq_ignore_ascii_case("/v1") && trimmed[3..].starts_with('/') => {
                &trimmed[3..]
            }
            _ => trimmed,
        };
        let rooted = if without_version.starts_with('/') {
            without_version.to_owned()
        } else {
            format!("/{without_version}")
        };
        rooted.to_ascii_lowercase()
    }
    normal(link_path) == normal(collection_path)
}

/// Decides, page after page, whether a listing goes on. Pure: the clients feed it each
/// page's continuation token.
///
/// ```
/// use pc_devices::paging::PageGuard;
/// let mut guard = PageGuard::new("/v1/customers/c/deviceBatches", 10, None);
/// assert_eq!(guard.next(Some("a"))?, Some("a".to_owned()));
/// assert_eq!(guard.next(Some("b"))?, Some("b".to_owned()));
/// assert!(guard.next(Some("a")).is_err()); // a token seen before: a loop
/// # Ok::<(), pc_devices::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PageGuard {
    path: String,
    max_pages: usize,
    pages: usize,
    seen: HashSet<String>,
}

impl PageGuard {
    /// A guard for listing `path`, allowing at most `max_pages` pages (at least one),
    /// starting from the page of `start_token` (`None`: the first page).
    pub fn new(path: impl Into<String>, max_pages: usize, start_token: Option<&str>) -> Self {
        Self {
            path: path.into(),
            max_pages: max_pages.max(1),
            pages: 0,
            seen: start_token.map(str::to_owned).into_iter().collect(),
        }
    }

    /// How many pages were fetched so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Records a fetched page whose continuation token is `token` (an empty one means
    /// none) and answers the token of the next page, `None` at the end, or
    /// [`Error::PagingLoop`] when the listing does not end.
    pub fn next(&mut self, token: Option<&str>) -> Result<Option<String>, Error> {
        self.pages += 1;
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Ok(None);
        };
        let reason = if self.seen.contains(token) {
            PagingStop::RepeatedToken
        } else if self.pages >= self.max_pages {
            PagingStop::TooManyPages {
                max_pages: self.max_pages,
            }
        } else {
            self.seen.insert(token.to_owned());
            return Ok(Some(token.to_owned()));
        };
        Err(Error::PagingLoop {
            path: self.path.clone(),
            pages: self.pages,
            reason,
        })
    }
}

/// Where a listing stands, shared by the blocking iterators and the async streams: the
/// next page to ask for, the guard, and an error to report after the last page.
#[derive(Debug)]
#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
pub(crate) struct Cursor<O> {
    path: String,
    next: Option<O>,
    guard: PageGuard,
    pending: Option<Error>,
}

#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
impl<O: PagedOperation> Cursor<O> {
    /// A listing from the page `op` asks for, at most `max_pages` pages.
    pub(crate) fn new(op: O, max_pages: usize) -> Self {
        // A path that cannot be built fails on the first request instead.
        let path = op.path().unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default().to_owned();
        let guard = PageGuard::new(
            path.clone(),
            max_pages,
            op.page().map(NextPage::key).as_deref(),
        );
        Self {
            path,
            next: Some(op),
            guard,
            pending: None,
        }
    }

    /// The next page to fetch, or the error that ends the listing; `None` at the end.
    pub(crate) fn next_op(&mut self) -> Option<Result<O, Error>> {
        if let Some(error) = self.pending.take() {
            return Some(Err(error));
        }
        self.next.take().map(Ok)
    }

    /// Records what fetching `op` gave, and passes it on. After an error the listing
    /// ends.
    pub(crate) fn record(
        &mut self,
        op: &O,
        page: Result<Collection<O::Item>, Error>,
    ) -> Result<Collection<O::Item>, Error> {
        let page = page?;
        let next = next_page(&self.path, &page).and_then(|next| {
            self.guard
                .next(next.as_ref().map(NextPage::key).as_deref())?;
            Ok(next)
        });
        match next {
            Ok(Some(next)) => self.next = Some(op.with_page(next)),
            Ok(None) => {}
            Err(error) => self.pending = Some(error),
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_models::Device;

    const DEVICES: &str = "/v1/customers/c/deviceBatches/Lab%20A%2F1/devices";

    fn page(json: &str) -> Collection<Device> {
        pc_models::from_slice(json.as_bytes()).unwrap()
    }

    fn link(uri: &str, token: Option<&str>) -> Collection<Device> {
        let headers = match token {
            Some(token) => format!(
                r#"[{{"key": "MS-ContinuationToken", "value": "{token}"}}, {{"key": "X-Other", "value": "ignored"}}]"#
            ),
            None => "[]".to_owned(),
        };
        page(&format!(
            r#"{{"items": [], "links": {{"next": {{"uri": "{uri}", "method": "GET", "headers": {headers}}}}}}}"#
        ))
    }

    fn next(page: &Collection<Device>) -> Result<Option<NextPage>, Error> {
        next_page(DEVICES, page)
    }

    #[test]
    fn the_link_to_the_same_collection_gives_its_query_and_token() {
        let expected = Some(NextPage {
            query: Some("seekOperation=Next".into()),
            token: Some("t2".into()),
        });
        for uri in [
            "/customers/c/deviceBatches/Lab A%2F1/devices?seekOperation=Next",
            "/v1/customers/c/deviceBatches/Lab%20A%2F1/devices?seekOperation=Next",
            "/V1/Customers/C/DEVICEBATCHES/lab a%2f1/devices/?seekOperation=Next",
            "customers/c/deviceBatches/Lab A%2F1/devices?seekOperation=Next#frag",
        ] {
            assert_eq!(next(&link(uri, Some("t2"))).unwrap(), expected, "{uri}");
        }
        // Without a query: the same path with the link's token.
        assert_eq!(
            next(&link(
                "/customers/c/deviceBatches/Lab A%2F1/devices",
                Some("t3")
            ))
            .unwrap(),
            Some(NextPage::token("t3"))
        );
        // A query that would break the request line is encoded.
        let odd = next(&link(
            "/customers/c/deviceBatches/Lab A%2F1/devices?a=b c<d",
            None,
        ))
        .unwrap();
        assert_eq!(odd.unwrap().query.as_deref(), Some("a=b%20c%3Cd"));
    }

    #[test]
    fn a_link_elsewhere_is_refused_before_anything_is_sent() {
        for uri in [
            "/customers/c/deviceBatches/Lab A%2F1",
            "/customers/c/deviceBatches/other/devices?seekOperation=Next",
            "/customers/other/deviceBatches/Lab A%2F1/devices",
            "https://elsewhere.invalid/v1/customers/c/deviceBatches/Lab%20A%2F1/devices",
            "//elsewhere.invalid/customers/c/deviceBatches/Lab%20A%2F1/devices",
            // Only a whole `/v1` segment is dropped.
            "/v1customers/c/deviceBatches/Lab A%2F1/devices",
            "/xy/customers/c/deviceBatches/Lab A%2F1/devices",
        ] {
            let error = next(&link(uri, Some("t2"))).unwrap_err();
            assert!(
                matches!(&error, Error::UnexpectedNextPage { link, .. } if link == uri),
                "{uri}: {error:?}"
            );
            assert_eq!(error.kind(), crate::ErrorKind::Decode);
            let names_a_host = uri.contains("://") || uri.starts_with("//");
            assert_eq!(
                error.to_string().contains("it names a host"),
                names_a_host,
                "{uri}: {error}"
            );
        }
    }

    #[test]
    fn without_a_link_the_continuation_token_serves_and_empty_ends() {
        assert_eq!(
            next(&page(r#"{"continuationToken": "t9"}"#)).unwrap(),
            Some(NextPage::token("t9"))
        );
        for last in [
            r#"{"items": []}"#,
            r#"{"continuationToken": ""}"#,
            r#"{"continuationToken": "", "links": {"next": {"uri": ""}}}"#,
            r#"{"links": {"next": {"uri": "/customers/c/deviceBatches/Lab A%2F1/devices"}}}"#,
        ] {
            assert_eq!(next(&page(last)).unwrap(), None, "{last}");
        }
        // A link without its own token header takes the page's token.
        assert_eq!(
            next(&page(r#"{"continuationToken": "t4", "links": {"next": {"uri": "/customers/c/deviceBatches/Lab A%2F1/devices?seekOperation=Next"}}}"#)).unwrap(),
            Some(NextPage { query: Some("seekOperation=Next".into()), token: Some("t4".into()) })
        );
    }

    #[test]
    fn the_documented_batches_page_names_its_next_page() {
        use crate::ops::Operation as _;
        let path = format!(
            "{}/tests/fixtures/device-batches-page.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body = std::fs::read(&path).unwrap();
        let page: Collection<pc_models::DeviceBatch> = pc_models::from_slice(&body).unwrap();
        let op = crate::ops::ListDeviceBatches::new(
            "47021739-3426-40bf-9601-61b4b6d7c793".parse().unwrap(),
        );
        let next = next_page(&op.path().unwrap(), &page).unwrap();
        // The page the operations' tests send (`listings_follow_the_services_next_page_link`).
        assert_eq!(
            next,
            Some(NextPage {
                query: Some("seekOperation=Next".into()),
                token: Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()),
            })
        );
    }

    #[test]
    fn a_listing_ends_on_a_missing_or_empty_token() {
        let mut guard = PageGuard::new("/p", 5, None);
        assert_eq!(guard.next(Some("")).unwrap(), None);
        let mut guard = PageGuard::new("/p", 5, None);
        assert_eq!(guard.next(None).unwrap(), None);
        assert_eq!(guard.pages(), 1);
    }

    #[test]
    fn the_page_limit_stops_a_listing_that_goes_on() {
        let mut guard = PageGuard::new("/p", 3, None);
        assert!(guard.next(Some("1")).unwrap().is_some());
        assert!(guard.next(Some("2")).unwrap().is_some());
        assert_eq!(guard.pages(), 2);
        let error = guard.next(Some("3")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "listing /p did not end: the service still named a next page after 3 pages, the limit is 3"
        );
        // The last page may end at the limit.
        let mut guard = PageGuard::new("/p", 2, None);
        assert!(guard.next(Some("1")).unwrap().is_some());
        assert_eq!(guard.next(None).unwrap(), None);
    }

    #[test]
    fn the_start_token_counts_as_seen() {
        let mut guard = PageGuard::new("/p", 5, Some("x"));
        let error = guard.next(Some("x")).unwrap_err();
        assert!(matches!(
            error,
            Error::PagingLoop {
                reason: PagingStop::RepeatedToken,
                pages: 1,
                ..
            }
        ));
    }
}

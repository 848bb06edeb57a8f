//! The bound on listings: every page is followed, but a listing that does not end is
//! stopped with [`Error::PagingLoop`].

use std::collections::HashSet;

use pc_models::Collection;

use crate::Error;
use crate::error::PagingStop;
use crate::ops::PagedOperation;

/// The default most pages one listing fetches: 10,000 (a million devices at 100 a page).
pub const DEFAULT_MAX_PAGES: usize = 10_000;

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
    next: Option<O>,
    guard: PageGuard,
    pending: Option<Error>,
}

#[cfg_attr(not(any(feature = "blocking", feature = "async")), allow(dead_code))]
impl<O: PagedOperation> Cursor<O> {
    /// A listing from the page `op` asks for, at most `max_pages` pages.
    pub(crate) fn new(op: O, max_pages: usize) -> Self {
        // The path only names the listing in messages; a path that cannot be built
        // fails on the first request instead.
        let path = op.path().unwrap_or_default();
        let guard = PageGuard::new(path, max_pages, op.continuation_token());
        Self {
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
        match self.guard.next(page.next_token()) {
            Ok(Some(token)) => self.next = Some(op.with_continuation_token(Some(token))),
            Ok(None) => {}
            Err(error) => self.pending = Some(error),
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

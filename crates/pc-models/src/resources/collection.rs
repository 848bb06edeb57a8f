//! A page of a listing.

use super::{Attributes, Links};
use crate::extra::resource;

resource! {
    /// A page of a listing: `{"totalCount": …, "items": […], "links": …,
    /// "continuationToken": …, "attributes": {"objectType": "Collection"}}`.
    ///
    /// The next page is fetched from the same path with `continuationToken` sent back in
    /// the `MS-ContinuationToken` header; `links.next` is informational.
    pub struct Collection<T> {
        /// How many items the service says there are (on this page or in all: the
        /// service is not consistent).
        "totalCount" => total_count: u64,
        /// The items of this page.
        "items" => items: Vec<T>,
        /// Links, with `next` when there are more pages.
        "links" => links: Links,
        /// The token that fetches the next page, when there is one.
        "continuationToken" => continuation_token: String,
        /// `{"objectType": "Collection"}`.
        "attributes" => attributes: Attributes,
    }
}

impl<T> Collection<T> {
    /// The items of this page; empty when the service sent none.
    pub fn items(&self) -> &[T] {
        self.items.as_deref().unwrap_or_default()
    }

    /// The token for the next page: `continuationToken`, else the `MS-ContinuationToken`
    /// header of `links.next`. `None` (or an empty token) means this is the last page.
    pub fn next_token(&self) -> Option<&str> {
        let from_links = || {
            self.links
                .as_ref()?
                .next
                .as_ref()?
                .headers
                .as_ref()?
                .iter()
                .find(|header| {
                    header
                        .key
                        .as_deref()
                        .is_some_and(|key| key.eq_ignore_ascii_case("MS-ContinuationToken"))
                })?
                .value
                .as_deref()
        };
        self.continuation_token
            .as_deref()
            .or_else(from_links)
            .filter(|token| !token.is_empty())
    }
}

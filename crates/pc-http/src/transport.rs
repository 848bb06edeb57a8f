//! The seam between the pipeline and whatever moves bytes: two traits over `http` types.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;

use crate::TransportError;

/// A blocking HTTP client: one request in, one response (any status) or a
/// [`TransportError`] out.
///
/// The request URI is absolute. Statuses are data: a `503` is `Ok`. Closures implement
/// this trait, which makes test doubles free:
///
/// ```
/// use pc_http::{HttpTransport, TransportError};
///
/// let transport = |_req: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     Ok(http::Response::builder().status(204).body(Vec::new()).unwrap())
/// };
/// let req = http::Request::get("https://example.invalid/").body(Vec::new()).unwrap();
/// assert_eq!(transport.send(req).unwrap().status(), 204);
/// ```
pub trait HttpTransport: Send + Sync {
    /// Sends one request and reads the whole response.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

impl<F> HttpTransport for F
where
    F: Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> + Send + Sync,
{
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for std::sync::Arc<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request)
    }
}

/// An async HTTP client: the async twin of [`HttpTransport`].
///
/// Closures returning a `Send` future implement it.
#[async_trait]
pub trait AsyncHttpTransport: Send + Sync {
    /// Sends one request and reads the whole response.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

#[async_trait]
impl<F, Fut> AsyncHttpTransport for F
where
    F: Fn(http::Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<Vec<u8>>, TransportError>> + Send,
{
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self(request).await
    }
}

#[async_trait]
impl<T: AsyncHttpTransport + ?Sized> AsyncHttpTransport for std::sync::Arc<T> {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request).await
    }
}

/// A request extension: the time this attempt may take at most, connect to last byte.
///
/// The pipeline sets it when an overall deadline leaves less than a whole attempt; the
/// backends use the smaller of it and their own timeout. Other transports may ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptTimeout(pub Duration);

/// A request extension: the time one logical call may take at most, every attempt and
/// retry delay included, when it is sooner than the pipeline's own
/// [`RetryPolicy::deadline`](crate::RetryPolicy::deadline). A wait sets it so that no
/// retry, and no `Retry-After`, carries a poll past the wait's own deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDeadline(pub Duration);

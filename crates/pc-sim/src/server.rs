//! The HTTP side: an accept loop over hyper (so a connection can be cut for the reset
//! and truncate faults), one axum fallback handler that routes by the raw path, and
//! the handles that start, inspect and stop a simulator.

use crate::answer::{Answer, codes};
use crate::config::{FaultKind, SimConfig};
use crate::faults::Faults;
use crate::log::{LoggedRequest, RequestLog, redact_body, redact_headers};
use crate::quirks;
use crate::route::{Operation, Route, RouteError};
use crate::store::{Call, REQUEST_ID, Store};
use crate::strict;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower_service::Service;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The address could not be bound (in use, not local, not resolvable).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The simulator's own thread or runtime could not be started.
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(std::io::Error),
}

/// What the handler and the handles share.
#[derive(Debug)]
pub(crate) struct Shared {
    config: SimConfig,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    log: RequestLog,
    /// Injected 429s so far: with quirks, they alternate between an HTTP-date
    /// `Retry-After` and none.
    throttles: AtomicU64,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A view of a running simulator: its address, its request log and its fault script.
/// [`RunningSimulator`] and [`SimHandle`] dereference to it; it can be cloned and
/// kept after they are gone (it then only reads what is left).
#[derive(Clone)]
pub struct SimControl {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl fmt::Debug for SimControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimControl")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimControl {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the base URL to give a client (it appends `/v1/...`; the
    /// token authority is the same URL).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every request logged so far, oldest first (empty when logging is off).
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_request_log(&self) {
        self.shared.log.clear();
    }

    /// Scripts faults: the next requests to `operation` (to any operation with
    /// `None`) get `faults`, one each, in order, before any random draw.
    ///
    /// ```
    /// use pc_sim::{FaultKind, Operation, SimConfig};
    /// let sim = pc_sim::spawn(SimConfig::default())?;
    /// sim.fail_next(Some(Operation::BatchStatus), &[FaultKind::Unavailable, FaultKind::Throttle]);
    /// # Ok::<(), pc_sim::SimError>(())
    /// ```
    pub fn fail_next(&self, operation: Option<Operation>, faults: &[FaultKind]) {
        self.shared.faults().script(operation, faults);
    }

    /// Forgets the faults scripted with [`SimControl::fail_next`] that were not used.
    pub fn clear_scripted_faults(&self) {
        self.shared.faults().clear_script();
    }

    /// Issues a refresh token that the token endpoint's `refresh_token` grant accepts
    /// (once) in strict mode, standing in for a person's sign-in.
    pub fn issue_refresh_token(&self) -> String {
        let now = self.shared.config.clock.now();
        let capacity = self.shared.config.limits.max_tokens;
        self.shared.store().tokens.issue_refresh(now, capacity)
    }

    /// Issues an app+user access token as the token endpoint would after a person's
    /// sign-in, e.g. for a test of the strict bearer check
    /// ([`SimConfig::accept_any_token`] false).
    pub fn issue_token(&self) -> String {
        self.issue_token_of(false)
    }

    /// Issues an app-only access token, as the client-credentials grant would: with
    /// [`SimConfig::accept_any_token`] false it may read but not create a batch.
    pub fn issue_app_only_token(&self) -> String {
        self.issue_token_of(true)
    }

    fn issue_token_of(&self, app_only: bool) -> String {
        let now = self.shared.config.clock.now();
        let body: &[u8] = if app_only {
            b"grant_type=client_credentials&client_id=pc-sim&client_secret=pc-sim"
        } else {
            let refresh = self.issue_refresh_token();
            return self.refresh_with(&refresh, now);
        };
        let answer = self
            .shared
            .store()
            .tokens
            .grant(&self.shared.config, body, now);
        access_token_of(&answer.body)
    }

    fn refresh_with(&self, refresh: &str, now: std::time::Duration) -> String {
        let body = format!("grant_type=refresh_token&client_id=pc-sim&refresh_token={refresh}");
        let answer = self
            .shared
            .store()
            .tokens
            .grant(&self.shared.config, body.as_bytes(), now);
        access_token_of(&answer.body)
    }
}

fn access_token_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value["access_token"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Starts simulators: [`Simulator::start`] on the caller's tokio runtime,
/// [`Simulator::spawn`] on a thread of its own for blocking code.
#[derive(Debug)]
pub struct Simulator {
    _private: (),
}

impl Simulator {
    /// Binds `addr` (e.g. `"127.0.0.1:0"` for any free port) and serves on the current
    /// tokio runtime until [`RunningSimulator::shutdown`] (or drop).
    ///
    /// ```
    /// # async fn run() -> Result<(), pc_sim::SimError> {
    /// let sim = pc_sim::Simulator::start(pc_sim::SimConfig::default(), "127.0.0.1:0").await?;
    /// println!("serving on {}", sim.base_url());
    /// sim.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn start(
        config: SimConfig,
        addr: impl ToSocketAddrs + fmt::Display,
    ) -> Result<RunningSimulator, SimError> {
        let shown = addr.to_string();
        let bind_error = |source| SimError::Bind {
            addr: shown.clone(),
            source,
        };
        let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
        let local = listener.local_addr().map_err(bind_error)?;
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(&config)),
            faults: Mutex::new(Faults::new(config.seed)),
            log: RequestLog::new(config.log_requests, config.limits.max_log_entries),
            throttles: AtomicU64::new(0),
            config,
        });
        let router = Router::new()
            .fallback(dispatch)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router, stopped));
        Ok(RunningSimulator {
            control: SimControl {
                shared,
                addr: local,
            },
            stop,
            task: Some(task),
        })
    }

    /// Starts a simulator on `127.0.0.1`, any free port, on a thread with its own
    /// tokio runtime, for blocking code and plain `#[test]` functions. It stops when
    /// the returned handle is dropped.
    pub fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
        Self::spawn_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Like [`Simulator::spawn`], on `addr`.
    pub fn spawn_on(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("pc-sim".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(SimError::Runtime(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Simulator::start(config, addr).await {
                        Ok(running) => {
                            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
                            if ready_tx
                                .send(Ok((running.control.clone(), stop_tx)))
                                .is_ok()
                            {
                                let _ = stop_rx.await;
                            }
                            running.shutdown().await;
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                        }
                    }
                });
            })
            .map_err(SimError::Runtime)?;
        match ready_rx.recv() {
            Ok(Ok((control, stop))) => Ok(SimHandle {
                control,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => {
                let _ = thread.join();
                Err(SimError::Runtime(std::io::Error::other(
                    "the simulator's thread ended before it started",
                )))
            }
        }
    }
}

/// A simulator serving on the caller's tokio runtime. Dereferences to [`SimControl`].
/// Dropping it stops the accept loop; [`RunningSimulator::shutdown`] also waits for
/// open connections (at most a second).
#[derive(Debug)]
pub struct RunningSimulator {
    control: SimControl,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningSimulator {
    /// A handle on its state that can outlive it.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Stops accepting, lets open connections finish (at most a second) and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Deref for RunningSimulator {
    type Target = SimControl;
    fn deref(&self) -> &SimControl {
        &self.control
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A simulator serving on a thread of its own. Dereferences to [`SimControl`]; stops
/// (and joins its thread) when dropped.
#[derive(Debug)]
pub struct SimHandle {
    control: SimControl,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimHandle {
    /// A handle on its state that can outlive it.
    pub fn control(&self) -> SimControl {
        self.control.clone()
    }

    /// Stops the simulator and waits for its thread; the same as dropping it.
    pub fn shutdown(self) {}
}

impl Deref for SimHandle {
    type Target = SimControl;
    fn deref(&self) -> &SimControl {
        &self.control
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the simulator on `127.0.0.1`, any free port, on a thread of its own: the
/// same as [`Simulator::spawn`].
pub fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
    Simulator::spawn(config)
}

/// Lets a handler cut its connection (the reset fault).
#[derive(Debug, Clone, Default)]
struct ConnControl {
    kill: Arc<Notify>,
}

/// Returns once the simulator is told to stop (or its handle is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let for_connections = stopped.clone();
    loop {
        tokio::select! {
            () = until_stopped(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone(), for_connections.clone()));
                }
                // Out of descriptors or a connection gone before it was accepted: go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    connections.abort_all();
}

async fn serve_connection(stream: TcpStream, router: Router, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let control = ConnControl::default();
    let for_requests = control.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(for_requests.clone());
        let mut router = router.clone();
        async move { router.call(request).await }
    });
    let mut connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut draining = false;
    loop {
        tokio::select! {
            _ = &mut connection => return,
            () = control.kill.notified() => {
                // A reset: no answer, and RST rather than FIN.
                let stream = connection.into_parts().io.into_inner();
                let _ = stream.set_zero_linger();
                drop(stream);
                return;
            }
            () = until_stopped(&mut stopped), if !draining => {
                draining = true;
                Pin::new(&mut connection).graceful_shutdown();
            }
        }
    }
}

/// A body that sends the first part of a response and then fails, after giving the
/// connection a chance to flush it: with a `Content-Length` of the whole, the client
/// sees a truncated response, then the connection closes.
struct TruncatedBody {
    part: Option<Bytes>,
    flushed: bool,
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(part) = this.part.take().filter(|part| !part.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(part))));
        }
        if !this.flushed {
            this.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "response truncated by the simulator",
        ))))
    }
}

fn route_error(error: RouteError) -> Answer {
    match error {
        RouteError::NotFound => Answer::not_found("no such resource"),
        RouteError::MethodNotAllowed(allowed) => Answer::error(
            StatusCode::METHOD_NOT_ALLOWED,
            codes::METHOD_NOT_ALLOWED,
            format!("the method is not allowed here; allowed: {allowed}"),
        )
        .with_header(header::ALLOW, allowed),
        RouteError::BadSegment(segment) => Answer::bad_request(format!(
            "the path segment {segment:?} is not percent-encoded UTF-8"
        )),
    }
}

/// The answer of an injected fault that answers instead of serving.
fn fault_answer(fault: FaultKind, shared: &Shared) -> Option<Answer> {
    let config = &shared.config;
    let server_error = |status, code, description: &str| {
        if config.quirks {
            quirks::html_error(status, description)
        } else {
            Answer::error(status, code, description)
        }
    };
    match fault {
        FaultKind::Throttle => {
            let secs = config.faults.retry_after_secs;
            let mut answer = Answer::throttled(secs);
            if config.quirks {
                answer
                    .headers
                    .retain(|(name, _)| name != header::RETRY_AFTER);
                if shared
                    .throttles
                    .fetch_add(1, Ordering::Relaxed)
                    .is_multiple_of(2)
                {
                    let date = quirks::retry_after_date(std::time::SystemTime::now(), secs);
                    answer = answer.with_header(header::RETRY_AFTER, &date);
                }
            }
            Some(answer)
        }
        FaultKind::InternalError => Some(server_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL_ERROR,
            "An internal error occurred (injected by the simulator).",
        )),
        FaultKind::Unavailable => Some(server_error(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::UNAVAILABLE,
            "The service is unavailable (injected by the simulator).",
        )),
        FaultKind::Reset | FaultKind::Truncate | FaultKind::Latency => None,
    }
}

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, Answer> {
    let too_large = || {
        Answer::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::LIMIT_EXCEEDED,
            format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.trim().is_empty())
}

/// The one handler: route, fault, authorize, serve, decorate, log.
async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let config = &shared.config;
    let connection = request.extensions().get::<ConnControl>().cloned();
    let (parts, body) = request.into_parts();
    let route = Route::parse(&parts.method, parts.uri.path());
    let operation = route.as_ref().ok().map(Route::operation);
    let fault = operation.and_then(|operation| shared.faults().next(&config.faults, operation));
    if fault == Some(FaultKind::Latency) {
        tokio::time::sleep(config.faults.latency).await;
    }
    let body = read_body(body, &parts.headers, config.limits.max_body_bytes).await;
    let now = config.clock.now();
    let (answer, replayed) = match (route, fault.and_then(|f| fault_answer(f, &shared)), &body) {
        (Err(error), _, _) => (route_error(error), false),
        (Ok(_), Some(answer), _) => (answer, false),
        (Ok(_), None, Err(answer)) => (answer.clone(), false),
        (Ok(route), None, Ok(bytes)) => {
            let mut store = shared.store();
            let authorized = match route {
                Route::Token { .. } | Route::DeviceCode { .. } => Ok(()),
                _ => store
                    .tokens
                    .authorize(
                        config,
                        &parts.headers,
                        now,
                        matches!(route, Route::CreateBatch { .. }),
                    )
                    .and_then(|()| {
                        if config.strict {
                            strict::check_headers(&parts.headers, bytes)
                        } else {
                            Ok(())
                        }
                    }),
            };
            match authorized {
                Err(answer) => (answer, false),
                Ok(()) => store.serve(
                    config,
                    &Call {
                        route: &route,
                        headers: &parts.headers,
                        query: parts.uri.query(),
                        body: bytes,
                        now,
                    },
                ),
            }
        }
    };
    let mut answer = if config.quirks {
        quirks::apply(operation, answer)
    } else {
        answer
    };
    {
        let mut store = shared.store();
        let request_id = header_text(&parts.headers, REQUEST_ID)
            .map(str::to_owned)
            .unwrap_or_else(|| store.tokens.random_guid());
        let correlation_id = header_text(&parts.headers, "ms-correlationid")
            .map(str::to_owned)
            .unwrap_or_else(|| store.tokens.random_guid());
        let cv = match header_text(&parts.headers, "ms-cv") {
            Some(cv) => format!("{cv}.1"),
            None => format!("{}.0", store.tokens.random_text(12)),
        };
        answer = answer
            .with_header(HeaderName::from_static("ms-requestid"), &request_id)
            .with_header(HeaderName::from_static("ms-correlationid"), &correlation_id)
            .with_header(HeaderName::from_static("ms-cv"), &cv)
            .with_header(HeaderName::from_static("ms-serverid"), "pc-sim");
    }
    let cut = matches!(fault, Some(FaultKind::Reset)) && connection.is_some();
    if shared.log.enabled() {
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
            || matches!(operation, Some(Operation::Token | Operation::DeviceCode));
        shared.log.push(LoggedRequest {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: redact_headers(&parts.headers),
            body: body
                .as_ref()
                .map(|bytes| redact_body(bytes, is_form, config.limits.max_logged_body_bytes))
                .unwrap_or_default(),
            operation,
            status: (!cut).then_some(answer.status.as_u16()),
            fault,
            replayed,
            elapsed: started.elapsed(),
        });
    }
    if cut && let Some(connection) = connection {
        connection.kill.notify_one();
        // The connection task drops this request with the connection.
        std::future::pending::<()>().await;
    }
    into_response(answer, fault == Some(FaultKind::Truncate))
}

fn into_response(answer: Answer, truncate: bool) -> Response {
    let length = answer.body.len();
    let (declared, body) = if truncate {
        let part = answer.body.slice(..length / 2);
        let declared = length.max(part.len() + 1);
        (
            declared,
            Body::new(TruncatedBody {
                part: Some(part),
                flushed: false,
            }),
        )
    } else {
        (length, Body::from(answer.body))
    };
    let mut response = Response::new(body);
    *response.status_mut() = answer.status;
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        headers.append(name, value);
    }
    // Set by hand so that a truncated answer can declare more than it sends; a 204
    // has no body and no length.
    if answer.status != StatusCode::NO_CONTENT {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    }
    response
}

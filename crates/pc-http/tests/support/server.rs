//! A tiny HTTP/1.1 server on 127.0.0.1 port 0 for the backend tests: each connection
//! gets one scripted reply, then is closed. Plain or TLS (rustls, ring).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

impl Received {
    /// A request header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

/// How to answer.
#[derive(Clone)]
pub enum Reply {
    /// Write these bytes, then close.
    Bytes(Vec<u8>),
    /// Write the first bytes, wait, then write the rest (or close if the client left).
    Stall(Vec<u8>, Duration, Vec<u8>),
    /// Write the first bytes, then the rest one byte at a time, waiting between bytes
    /// (a peer that never stalls long enough for an idle timeout, yet never finishes).
    Drip(Vec<u8>, Duration, Vec<u8>),
}

impl Reply {
    /// A complete response with a body and extra header lines.
    pub fn status(code: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut out = format!(
            "HTTP/1.1 {code} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Bytes(bytes)
    }
}

pub type Handler = Arc<dyn Fn(&Received) -> Reply + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Server {
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn read_request(stream: &mut impl Read) -> Option<Received> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut received = Received {
        head,
        body: Vec::new(),
    };
    let len: usize = received
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    received.body = body;
    Some(received)
}

fn answer(stream: &mut (impl Read + Write), handler: &Handler, log: &Mutex<Vec<Received>>) {
    let Some(request) = read_request(stream) else {
        return;
    };
    log.lock().unwrap().push(request.clone());
    match handler(&request) {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Reply::Stall(first, wait, rest) => {
            let _ = stream.write_all(&first);
            let _ = stream.flush();
            thread::sleep(wait);
            let _ = stream.write_all(&rest);
        }
        Reply::Drip(first, every, rest) => {
            let _ = stream.write_all(&first);
            for byte in rest {
                let _ = stream.flush();
                thread::sleep(every);
                if stream.write_all(&[byte]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = stream.flush();
}

/// Starts a server; `tls` makes it speak TLS with that configuration.
pub fn start(
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let handler: Handler = Arc::new(handler);
    let (stop2, log) = (stop.clone(), received.clone());
    thread::spawn(move || {
        for stream in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let (handler, log, tls) = (handler.clone(), log.clone(), tls.clone());
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                match tls {
                    None => {
                        let mut stream = stream;
                        answer(&mut stream, &handler, &log);
                    }
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let mut tls = rustls::StreamOwned::new(conn, stream);
                        answer(&mut tls, &handler, &log);
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                }
            });
        }
    });
    Server {
        addr,
        stop,
        received,
    }
}

/// A CA and a leaf certificate for 127.0.0.1 and localhost signed by it; returns the
/// server configuration and the CA certificate in PEM.
pub fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    tls_config_for(&["localhost"], &["127.0.0.1"])
}

/// A server configuration whose certificate names only `names` and `ips`, signed by a
/// new CA, and that CA's PEM.
pub fn tls_config_for(names: &[&str], ips: &[&str]) -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pc-http test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut leaf_params = CertificateParams::new(names).unwrap();
    for ip in ips {
        leaf_params
            .subject_alt_names
            .push(SanType::IpAddress(ip.parse().unwrap()));
    }
    let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(rustls_pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(pc_http::tls::crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .unwrap();
    (Arc::new(config), ca.pem())
}

//! A loopback HTTP/1.1 server that answers every request with the same canned bytes.
//!
//! Target 4 measures the client, so the server must cost next to nothing: the answer
//! (status line, headers and body) is built once, before timing, and each request gets
//! it with one write. Connections are kept alive unless the request says
//! `Connection: close`; each connection has its own thread, and the listener's thread
//! ends with the process.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// A running canned-bytes server.
pub struct CannedServer {
    addr: SocketAddr,
}

impl CannedServer {
    /// Serves `body` as `application/json` with a `200 OK` on 127.0.0.1, on a port the
    /// system picks.
    pub fn start(body: &[u8]) -> io::Result<Self> {
        let mut answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(body);
        let answer: &'static [u8] = answer.leak();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let _ = serve(stream, answer);
                });
            }
        });
        Ok(Self { addr })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Answers each request of one connection, until the client closes it or asks to.
fn serve(stream: TcpStream, answer: &[u8]) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        // The request line and headers; a GET has no body.
        let mut close = false;
        let mut started = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                if started {
                    break;
                }
                continue;
            }
            started = true;
            if let Some((name, value)) = header.split_once(':')
                && name.trim().eq_ignore_ascii_case("connection")
                && value.trim().eq_ignore_ascii_case("close")
            {
                close = true;
            }
        }
        writer.write_all(answer)?;
        if close {
            return Ok(());
        }
    }
}

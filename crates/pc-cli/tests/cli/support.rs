//! What the end-to-end tests share: running the real `pc`, the simulator, and small
//! scripted HTTP servers for exact faults.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const PC: &str = env!("CARGO_BIN_EXE_pc");
pub const CUSTOMER: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
pub const TRACKING: &str = "0127ed8e-ff72-4983-a3d8-e8d8bd378932";
pub const TOKEN: &str = "tok-e2e-Zq8vN3xKp1";

/// A fixture of pc-devices' Autopilot CSV tests.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../pc-devices/tests/fixtures/autopilot")
        .join(name)
}

/// A file in a fresh temporary folder of this test.
pub fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pc-cli-test-{}-{}",
        std::process::id(),
        uuid_like()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn uuid_like() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    nanos ^ u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What a run of `pc` left.
#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}): {self:?}"))
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self
    }
}

/// A `pc` invocation with a clean environment: no proxy, no colour, no credentials
/// unless given.
pub struct Pc {
    command: Command,
}

pub fn pc(args: &[&str]) -> Pc {
    let mut command = Command::new(PC);
    command.env_clear().args(args);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    // Each run keeps its upload journal apart (the environment has no data folder);
    // a test that follows a journal across runs names its own.
    command.env("PARTNER_CENTER_JOURNAL", fresh_journal());
    Pc { command }
}

/// A journal path of its own, in a folder of this test process.
pub fn fresh_journal() -> PathBuf {
    std::env::temp_dir()
        .join(format!("pc-cli-journals-{}", std::process::id()))
        .join(format!("jobs-{}.jsonl", uuid_like()))
}

impl Pc {
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    pub fn token(self) -> Self {
        self.env("PARTNER_CENTER_ACCESS_TOKEN", TOKEN)
    }

    pub fn base(self, url: &str) -> Self {
        self.env("PARTNER_CENTER_BASE_URL", url)
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.command.args(args);
        self
    }

    /// Runs it, killing it after 60 s so that no test can hang.
    pub fn run(mut self) -> Output {
        let started = Instant::now();
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = Vec::new();
            stdout.read_to_end(&mut text).unwrap();
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = Vec::new();
            stderr.read_to_end(&mut text).unwrap();
            text
        });
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("pc did not finish within 60 s");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Output {
            code: status.code(),
            stdout: String::from_utf8(out.join().unwrap()).unwrap(),
            stderr: String::from_utf8(err.join().unwrap()).unwrap(),
            elapsed: started.elapsed(),
        }
    }
}

/// The simulator with short processing times, strict: it refuses what a careless
/// client sends.
pub fn sim(queue_ms: u64, process_ms: u64) -> pc_sim::SimHandle {
    pc_sim::spawn(pc_sim::SimConfig {
        queue_time: Duration::from_millis(queue_ms),
        process_time: Duration::from_millis(process_ms),
        strict: true,
        ..Default::default()
    })
    .unwrap()
}

/// One answer of a scripted server.
#[derive(Clone)]
pub enum Reply {
    /// Raw bytes, then the connection closes.
    Raw(Vec<u8>),
    /// Nothing for this long, then the connection closes.
    Silence(Duration),
}

impl Reply {
    pub fn json(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        Self::bytes(status, headers, body.as_bytes())
    }

    pub fn bytes(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut raw = head.into_bytes();
        raw.extend_from_slice(body);
        Self::Raw(raw)
    }

    /// A response whose body stops short of its Content-Length.
    pub fn truncated(body: &str) -> Self {
        Self::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len() + 100,
                body
            )
            .into_bytes(),
        )
    }
}

/// A request the scripted server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A server on 127.0.0.1:0 answering its script in order, one connection a reply; it
/// stops when the script is done or after 60 s.
pub struct Scripted {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    _thread: JoinHandle<()>,
}

impl Scripted {
    pub fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut script = script.into_iter();
            while started.elapsed() < Duration::from_secs(60) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let Some(reply) = script.next() else {
                    return;
                };
                serve(stream, reply, &log);
            }
        });
        Self {
            url,
            seen,
            _thread: thread,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, reply: Reply, log: &Mutex<Vec<Seen>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    log.lock().unwrap().push(Seen {
        method,
        path,
        headers,
        body,
    });
    let mut stream = reader.into_inner();
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Silence(duration) => std::thread::sleep(duration),
    }
}

/// A batch status document with `devices` devices, one in ten failing with 808.
pub fn batch_document(devices: usize) -> String {
    let mut out = format!(
        r#"{{"batchTrackingId":"{TRACKING}","status":"finished_with_errors","startedTime":"2019-02-05T21:57:06","completedTime":"2019-02-05T21:57:06.7367164-08:00","devicesStatus":["#
    );
    for index in 0..devices {
        if index > 0 {
            out.push(',');
        }
        if index % 10 == 7 {
            out.push_str(&format!(
                r#"{{"deviceId":"","serialNumber":"OTHER-{index:05}","productKey":"00329-00000-{index:05}-AA606","status":"finished_with_errors","errorCode":"808","errorDescription":"ZtdDeviceAssignedToOtherTenant","attributes":{{"objectType":"DeviceUploadDetails"}}}}"#
            ));
        } else {
            out.push_str(&format!(
                r#"{{"deviceId":"9993-8627-{index:05}","serialNumber":"SN-{index:05}","productKey":"00329-00000-{index:05}-AA606","status":"finished","errorCode":null,"errorDescription":null,"attributes":{{"objectType":"DeviceUploadDetails"}}}}"#
            ));
        }
    }
    out.push_str(r#"],"attributes":{"objectType":"BatchUploadDetails"}}"#);
    out
}

/// Replaces GUIDs, times and ports with placeholders for snapshots.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let rest: String = chars[at..chars.len().min(at + 36)].iter().collect();
        if rest.len() == 36 && uuid_shape(&rest) {
            out.push_str("[guid]");
            at += 36;
            continue;
        }
        out.push(chars[at]);
        at += 1;
    }
    let mut redacted = String::new();
    for word in out.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end_matches([' ', '\n', ',', ')']);
        if trimmed.len() >= 20
            && trimmed.as_bytes().get(4) == Some(&b'-')
            && trimmed.contains('T')
            && trimmed.ends_with('Z')
        {
            redacted.push_str(&word.replacen(trimmed, "[time]", 1));
        } else if let Some(port_at) = trimmed.find("127.0.0.1:") {
            let port = &trimmed[port_at + 10..];
            let digits: String = port.chars().take_while(char::is_ascii_digit).collect();
            redacted.push_str(&word.replacen(
                &format!("127.0.0.1:{digits}"),
                "127.0.0.1:[port]",
                1,
            ));
        } else {
            redacted.push_str(word);
        }
    }
    redacted
}

fn uuid_shape(text: &str) -> bool {
    text.char_indices().all(|(index, c)| match index {
        8 | 13 | 18 | 23 => c == '-',
        _ => c.is_ascii_hexdigit(),
    })
}

//! What `pc` writes: stdout's one document (JSON bytes or a value, one buffered write),
//! stderr's one-write notes and failures, and below, tables ([`table`]), CSV
//! ([`csv`]), values from elsewhere as people see them ([`shown`]), progress
//! ([`progress`]) and the light pass over a batch status ([`scan`]).

pub mod csv;
pub mod progress;
pub mod scan;
pub mod shown;
pub mod table;

use std::io::{self, BufWriter, Write};

use serde::Serialize;

use pc_models::{CustomerId, TrackingId};

use crate::cli::OutputFormat;
use crate::exit::{Exit, Failure};
use progress::ProgressMode;
use table::Style;

/// What every command needs to know about output.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `-o`.
    pub output: OutputFormat,
    /// `--allow-error-codes`.
    pub allowed: Vec<String>,
    /// How tables are drawn.
    pub style: Style,
    /// With `-o csv`, whether a byte-order mark comes before the header (not with
    /// `--no-bom`).
    pub bom: bool,
    /// How a wait shows progress.
    pub progress: ProgressMode,
    /// Whether stderr says which devices made the exit code 3 (the demo fails two on
    /// purpose and says so itself).
    pub explain_failures: bool,
}

/// One failure in a document over many items (`"errors"`, or a row's `"error"`):
/// `{"customerId", "trackingId", "status", "code", "description", "correlationId",
/// "requestId"}`, null where a field does not apply.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorJson {
    /// The customer the failure is about, if it is one's.
    pub customer_id: Option<CustomerId>,
    /// The job the failure is about, if it is one's.
    pub tracking_id: Option<TrackingId>,
    /// The HTTP status of the failing answer.
    pub status: Option<u16>,
    /// The service's error code.
    pub code: Option<String>,
    /// The service's description, else the failure's own sentence.
    pub description: Option<String>,
    /// `MS-CorrelationId` of the failing call.
    pub correlation_id: Option<String>,
    /// `MS-RequestId` of the failing call.
    pub request_id: Option<String>,
}

impl ErrorJson {
    /// `failure`, about `customer` and `tracking` where it is.
    pub fn of(
        failure: &Failure,
        customer: Option<CustomerId>,
        tracking: Option<TrackingId>,
    ) -> Self {
        let call = failure.call.as_deref().cloned().unwrap_or_default();
        Self {
            customer_id: customer,
            tracking_id: tracking,
            status: failure.status,
            code: call.code,
            description: Some(call.description.unwrap_or_else(|| failure.message.clone())),
            correlation_id: call.correlation_id,
            request_id: call.request_id,
        }
    }
}

/// Writes `error: …` (and a hint) on stderr and answers the failure's exit code.
pub fn fail(failure: &Failure) -> Exit {
    eprintln!("error: {}", shown_lines(&failure.to_string()));
    if let Some(hint) = failure.hint() {
        eprintln!("hint: {}", shown_lines(&hint));
    }
    failure.exit
}

/// A message of one or more lines with the control characters of each line escaped
/// (its values may come from the service or a file), its line breaks kept.
fn shown_lines(text: &str) -> String {
    text.split('\n')
        .map(shown::escape)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes stdout through one buffer. A reader that went away (`| head`) is not the
/// command's failure, so write errors are dropped.
pub fn emit(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let _ = write(&mut out).and_then(|()| out.flush());
}

/// Writes one JSON document given as bytes, with a final newline.
pub fn write_json_bytes(out: &mut dyn Write, json: &[u8]) -> io::Result<()> {
    out.write_all(json)?;
    if !json.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes one serializable value as a JSON document.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// Writes one serializable value as stdout's one JSON document.
pub fn emit_json(value: &impl Serialize) {
    emit(|out| write_json(out, value));
}

/// Writes one line to stderr in one write: a Ctrl-C can stop `pc` between two writes,
/// and a line that names a tracking id must never be cut before the id.
pub fn note(mut line: String) {
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

//! Tables for people: aligned columns that fit the terminal, colour only on a terminal
//! and never with `NO_COLOR`, every cell's control characters escaped (the only escape
//! codes are the colours written here), a date not set shown as `-`.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};

use pc_models::{BatchUploadDetails, Device, DeviceBatch, Timestamp, UploadStatus};

use crate::output::shown::{self, escape, escape_owned};

/// How a table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Whether to colour statuses and errors.
    pub color: bool,
    /// The widest a line may be, when known.
    pub width: Option<usize>,
}

impl Style {
    /// The style for stdout: colour on a terminal unless `NO_COLOR` is set (to
    /// anything but the empty string); the width of the terminal, or `COLUMNS`.
    pub fn for_stdout() -> Self {
        let stdout = io::stdout();
        let terminal = stdout.is_terminal();
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|columns| columns.trim().parse::<usize>().ok())
            .filter(|columns| *columns > 0)
            .or_else(|| {
                terminal
                    .then(|| console::Term::stdout().size_checked())
                    .flatten()
                    .map(|(_, columns)| usize::from(columns))
            });
        Self {
            color: terminal && !no_color(),
            width,
        }
    }
}

/// Whether `NO_COLOR` asks for no colour.
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// A colour for a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Color {
    Green,
    Yellow,
    Red,
}

impl Color {
    fn code(self) -> &'static str {
        match self {
            Color::Green => "\x1b[32m",
            Color::Yellow => "\x1b[33m",
            Color::Red => "\x1b[31m",
        }
    }

    fn of_status(status: Option<&UploadStatus>, failed: bool) -> Option<Color> {
        if failed {
            return Some(Color::Red);
        }
        match status? {
            UploadStatus::Finished => Some(Color::Green),
            UploadStatus::FinishedWithErrors => Some(Color::Red),
            _ => Some(Color::Yellow),
        }
    }
}

/// One cell: its text, control characters escaped (borrowed from the value shown where
/// it holds none), and maybe a colour.
struct Cell<'a> {
    text: Cow<'a, str>,
    color: Option<Color>,
}

impl From<String> for Cell<'_> {
    fn from(text: String) -> Self {
        Self {
            text: Cow::Owned(escape_owned(text)),
            color: None,
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Self {
            text: escape(text),
            color: None,
        }
    }
}

fn colored<'a>(text: impl Into<Cow<'a, str>>, color: Option<Color>) -> Cell<'a> {
    let text = match text.into() {
        Cow::Borrowed(text) => escape(text),
        Cow::Owned(text) => Cow::Owned(escape_owned(text)),
    };
    Cell { text, color }
}

/// A table: a header, rows, and which columns may be shortened to fit the width.
struct Table<'a> {
    header: Vec<&'static str>,
    shrinkable: Vec<bool>,
    rows: Vec<Vec<Cell<'a>>>,
}

/// The narrowest a shortened column gets.
const MIN_SHRUNK: usize = 12;
const GAP: &str = "  ";

/// The columns `text` takes on a terminal. Printable ASCII, what nearly every cell holds,
/// takes one column a byte; anything else (escapes, wide characters) is measured.
fn width_of(text: &str) -> usize {
    if text.bytes().all(|byte| (b' '..=b'~').contains(&byte)) {
        text.len()
    } else {
        console::measure_text_width(text)
    }
}

impl<'a> Table<'a> {
    fn new(columns: &[(&'static str, bool)]) -> Self {
        Self {
            header: columns.iter().map(|(name, _)| *name).collect(),
            shrinkable: columns.iter().map(|(_, shrink)| *shrink).collect(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<Cell<'a>>) {
        self.rows.push(row);
    }

    /// The width of each column, the shrinkable ones shortened (widest first) until the
    /// line fits.
    fn widths(&self, limit: Option<usize>) -> Vec<usize> {
        let mut widths: Vec<usize> = self.header.iter().map(|name| name.len()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(width_of(&cell.text));
            }
        }
        let Some(limit) = limit else { return widths };
        let total = |widths: &[usize]| widths.iter().sum::<usize>() + GAP.len() * widths.len();
        while total(&widths) > limit {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|(column, width)| self.shrinkable[*column] && **width > MIN_SHRUNK)
                .max_by_key(|(_, width)| **width)
                .map(|(column, _)| column);
            match widest {
                Some(column) => widths[column] -= 1,
                None => break,
            }
        }
        widths
    }

    fn write(&self, out: &mut (impl Write + ?Sized), style: Style, indent: &str) -> io::Result<()> {
        let widths = self.widths(style.width.map(|width| width.saturating_sub(indent.len())));
        let header: Vec<Cell<'_>> = self.header.iter().map(|name| Cell::from(*name)).collect();
        // One line buffer for every row.
        let mut line = String::new();
        Self::write_row(out, &mut line, &header, &widths, style, indent)?;
        for row in &self.rows {
            Self::write_row(out, &mut line, row, &widths, style, indent)?;
        }
        Ok(())
    }

    fn write_row(
        out: &mut (impl Write + ?Sized),
        line: &mut String,
        row: &[Cell<'_>],
        widths: &[usize],
        style: Style,
        indent: &str,
    ) -> io::Result<()> {
        line.clear();
        line.push_str(indent);
        let last = row
            .iter()
            .rposition(|cell| !cell.text.is_empty())
            .unwrap_or(0);
        for (column, (cell, width)) in row.iter().zip(widths).enumerate().take(last + 1) {
            if column > 0 {
                line.push_str(GAP);
            }
            let full = width_of(&cell.text);
            let (text, shown) = if full > *width {
                let cut = console::truncate_str(&cell.text, *width, "…");
                let shown = width_of(&cut);
                (cut, shown)
            } else {
                (Cow::Borrowed(&*cell.text), full)
            };
            let pad = width.saturating_sub(shown);
            match cell.color.filter(|_| style.color) {
                Some(color) => {
                    line.push_str(color.code());
                    line.push_str(&text);
                    line.push_str("\x1b[0m");
                }
                None => line.push_str(&text),
            }
            if column < last {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    }
}

fn or_dash(text: Option<&str>) -> &str {
    match text {
        Some(text) if !text.is_empty() => text,
        _ => "-",
    }
}

/// A date as the table shows it: `-` when absent or not set, else in UTC.
fn time(time: Option<&Timestamp>) -> String {
    shown::date(time).map_or_else(|| "-".to_owned(), ToString::to_string)
}

fn status_text(status: Option<&UploadStatus>) -> &str {
    status.map_or("-", UploadStatus::as_str)
}

/// The batch line and one row per device, each failed device with its catalog hint.
pub fn write_batch_status(
    out: &mut (impl Write + ?Sized),
    details: &BatchUploadDetails,
    allowed: &[String],
    style: Style,
) -> io::Result<()> {
    let counts = details.status_counts();
    let tracking = details
        .batch_tracking_id
        .map_or_else(|| "-".to_owned(), |id| id.to_string());
    let status = details.status.as_ref();
    let batch_color = Color::of_status(status, false).filter(|_| style.color);
    let batch_status = escape(status_text(status));
    let status_shown = match batch_color {
        Some(color) => format!("{}{batch_status}\x1b[0m", color.code()),
        None => batch_status.into_owned(),
    };
    writeln!(out, "Batch {tracking}: {status_shown}")?;
    let allowed_failures = details
        .failed_devices()
        .filter(|failed| allowed.iter().any(|code| failed.device.has_error(code)))
        .count();
    let mut summary = format!(
        "  {} device{}: {} finished, {} failed",
        counts.total,
        if counts.total == 1 { "" } else { "s" },
        counts.finished,
        counts.failed
    );
    if allowed_failures > 0 {
        summary.push_str(&format!(" ({allowed_failures} allowed)"));
    }
    let pending = counts.total - counts.done();
    if pending > 0 {
        summary.push_str(&format!(", {pending} pending"));
    }
    writeln!(out, "{summary}")?;
    writeln!(
        out,
        "  started {}, completed {}",
        escape(&time(details.started_time.as_ref())),
        escape(&time(details.completed_time.as_ref()))
    )?;
    if details.devices().is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut table = Table::new(&[
        ("SERIAL NUMBER", false),
        ("PRODUCT KEY", false),
        ("STATUS", false),
        ("ERROR", false),
        ("DESCRIPTION", true),
        ("WHAT TO DO", true),
    ]);
    for device in details.devices() {
        let failed = device.is_failed();
        let allowed = failed && allowed.iter().any(|code| device.has_error(code));
        let hint = match (failed, device.ztd_error()) {
            (true, Some(known)) if allowed => Cow::Owned(format!("allowed: {}", known.hint())),
            (true, Some(known)) => Cow::Borrowed(known.hint()),
            (true, None) if allowed => Cow::Borrowed("allowed"),
            _ => Cow::Borrowed(""),
        };
        let error_color = (failed && !allowed).then_some(Color::Red);
        table.push(vec![
            or_dash(device.serial_number.as_deref()).into(),
            or_dash(device.product_key.as_deref()).into(),
            colored(
                status_text(device.status.as_ref()),
                Color::of_status(device.status.as_ref(), failed && !allowed),
            ),
            colored(
                device.error_code.as_ref().map_or("", |code| code.as_str()),
                error_color,
            ),
            device
                .error_description
                .as_deref()
                .unwrap_or_default()
                .into(),
            colored(hint, None),
        ]);
    }
    table.write(out, style, "  ")
}

/// One row per batch.
pub fn write_batches(
    out: &mut (impl Write + ?Sized),
    batches: &[DeviceBatch],
    style: Style,
) -> io::Result<()> {
    if batches.is_empty() {
        return writeln!(out, "no device batches");
    }
    let mut table = Table::new(&[
        ("BATCH", true),
        ("DEVICES", false),
        ("CREATED", false),
        ("STATUS", false),
        ("CREATED BY", true),
    ]);
    for batch in batches {
        table.push(vec![
            or_dash(batch.id.as_ref().map(|id| id.as_str())).into(),
            batch
                .count()
                .map_or_else(|| "-".to_owned(), |count| count.to_string())
                .into(),
            time(batch.created()).into(),
            colored(
                status_text(batch.status.as_ref()),
                batch
                    .status
                    .as_ref()
                    .and_then(|status| Color::of_status(Some(status), false)),
            ),
            or_dash(batch.created_by.as_deref()).into(),
        ]);
    }
    table.write(out, style, "")?;
    writeln!(
        out,
        "{} batch{}",
        batches.len(),
        if batches.len() == 1 { "" } else { "es" }
    )
}

/// One row per device of a batch.
pub fn write_devices(
    out: &mut (impl Write + ?Sized),
    devices: &[Device],
    style: Style,
) -> io::Result<()> {
    if devices.is_empty() {
        return writeln!(out, "no devices");
    }
    let mut table = Table::new(&[
        ("DEVICE ID", false),
        ("SERIAL NUMBER", false),
        ("PRODUCT KEY", false),
        ("MANUFACTURER", true),
        ("MODEL", true),
        ("UPLOADED", false),
    ]);
    for device in devices {
        table.push(vec![
            or_dash(device.id.as_ref().map(|id| id.as_str())).into(),
            or_dash(device.serial_number.as_deref()).into(),
            or_dash(device.product_key.as_deref()).into(),
            or_dash(device.oem_manufacturer_name.as_deref()).into(),
            or_dash(device.model_name.as_deref()).into(),
            time(device.uploaded_date.as_ref()).into(),
        ]);
    }
    table.write(out, style, "")?;
    writeln!(
        out,
        "{} device{}",
        devices.len(),
        if devices.len() == 1 { "" } else { "s" }
    )
}

/// Any rows of text under `columns` (a name, and whether the column may be shortened
/// to fit the terminal).
pub fn write_rows(
    out: &mut (impl Write + ?Sized),
    columns: &[(&'static str, bool)],
    rows: Vec<Vec<String>>,
    style: Style,
) -> io::Result<()> {
    let mut table = Table::new(columns);
    for row in rows {
        table.push(row.into_iter().map(Cell::from).collect());
    }
    table.write(out, style, "")
}

/// One row per accepted upload part: its tracking id and device count.
pub fn write_parts(
    out: &mut (impl Write + ?Sized),
    parts: &[&pc_devices::UploadPart],
    style: Style,
) -> io::Result<()> {
    let mut table = Table::new(&[("PART", false), ("TRACKING ID", false), ("DEVICES", false)]);
    for (index, part) in parts.iter().enumerate() {
        table.push(vec![
            (index + 1).to_string().into(),
            part.tracking_id.to_string().into(),
            part.devices.to_string().into(),
        ]);
    }
    table.write(out, style, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(details: &str, allowed: &[&str], style: Style) -> String {
        let details: BatchUploadDetails = pc_models::from_slice(details.as_bytes()).unwrap();
        let allowed: Vec<String> = allowed.iter().map(|code| (*code).to_owned()).collect();
        let mut out = Vec::new();
        write_batch_status(&mut out, &details, &allowed, style).unwrap();
        String::from_utf8(out).unwrap()
    }

    const DOCUMENT: &str = r#"{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"finished_with_errors",
        "startedTime":"2019-02-05T21:57:06","completedTime":"2019-02-05T21:57:06.7367164-08:00","devicesStatus":[
        {"serialNumber":"SN-1","productKey":"","status":"finished","errorCode":""},
        {"serialNumber":"OTHER-2","status":"finished_with_errors","errorCode":"808","errorDescription":"ZtdDeviceAssignedToOtherTenant"},
        {"serialNumber":"SN-3","status":"finished_with_errors","errorCode":"806","errorDescription":"ZtdDeviceAlreadyAssigned"}]}"#;

    #[test]
    fn a_batch_with_failed_devices_and_their_hints() {
        insta::assert_snapshot!(render(DOCUMENT, &["806"], Style::default()));
    }

    #[test]
    fn a_narrow_terminal_shortens_the_text_columns() {
        let style = Style {
            color: false,
            width: Some(100),
        };
        let text = render(DOCUMENT, &[], style);
        for line in text.lines() {
            assert!(width_of(line) <= 100, "{} > 100: {line}", width_of(line));
        }
        assert!(text.contains('…'), "{text}");
    }

    #[test]
    fn control_characters_from_the_service_are_escaped() {
        let document = r#"{"status":"finished\u009b31m","startedTime":"0001-01-01T00:00:00",
            "completedTime":"0001-01-01T00:00:00.0000000Z","devicesStatus":[
            {"serialNumber":"Café-Ø\u001b[31m","productKey":"a\tb","status":"finished_with_errors",
             "errorCode":"808","errorDescription":"line\nbreak\u007f"}]}"#;
        for color in [false, true] {
            let text = render(document, &[], Style { color, width: None });
            assert!(text.contains("Café-Ø\\x1b[31m"), "{text}");
            assert!(text.contains("a\\tb"), "{text}");
            assert!(text.contains("line\\nbreak\\x7f"), "{text}");
            assert!(text.contains("finished\\u{9b}31m"), "{text}");
            // A date not set is `-`.
            assert!(text.contains("started -, completed -"), "{text}");
            // The only escape codes are pc's own colours.
            let codes = text.matches('\x1b').count();
            let colours = ["\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"]
                .iter()
                .map(|code| text.matches(code).count())
                .sum::<usize>();
            assert_eq!(codes, colours, "{text:?}");
            assert!(
                !text.contains('\u{9b}') && !text.contains('\u{7f}'),
                "{text:?}"
            );
        }
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!render(DOCUMENT, &[], Style::default()).contains('\x1b'));
        let colored = render(
            DOCUMENT,
            &[],
            Style {
                color: true,
                width: None,
            },
        );
        assert!(colored.contains("\x1b[31m808\x1b[0m"), "{colored}");
    }
}

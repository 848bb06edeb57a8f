//! `-o csv`, for spreadsheets and `Import-Csv`: RFC 4180 with a header row and `CRLF`
//! line ends, UTF-8 with a byte-order mark unless `--no-bom`, every value in full (an
//! absent one an empty field), and OWASP's rule against formula injection. The rows
//! of the commands that share them live here too, as the tables' live in `table`.

use std::fmt::{self, Write as _};
use std::io::{self, Write};

use pc_devices::UploadPart;
use pc_models::{BatchUploadDetails, Device, DeviceBatch, Timestamp, UploadStatus};

use crate::output::shown;

/// The byte-order mark that tells Excel and Windows PowerShell 5.1 the file is UTF-8.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// `devices batch-status`'s columns, one row per device; `upload --wait` and
/// `jobs wait` write them after columns of their own.
pub const BATCH_STATUS: &[&str] = &[
    "BatchTrackingId",
    "BatchStatus",
    "SerialNumber",
    "ProductKey",
    "Status",
    "ErrorCode",
    "ErrorDescription",
    "Allowed",
    "WhatToDo",
];

/// Whether a spreadsheet could run `field` as a formula: it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return.
fn needs_guard(field: &str) -> bool {
    field.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// `field` as it is written: with a leading `'` when a spreadsheet could run it as a
/// formula, else as it is (what [`CsvOut::field`] writes, without its buffer).
#[cfg(test)]
fn guarded(field: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if needs_guard(field) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// A CSV document being written: the header is out, rows follow field by field. Its
/// buffers are reused from row to row.
pub struct CsvOut<'a> {
    writer: csv::Writer<&'a mut dyn Write>,
    /// A guarded field, built here rather than allocated.
    guard: Vec<u8>,
    /// A value formatted for a field.
    text: String,
}

impl<'a> CsvOut<'a> {
    /// Starts a document on `out`: the byte-order mark when `bom`, then the header,
    /// the concatenation of `header`'s parts.
    pub fn start(out: &'a mut dyn Write, bom: bool, header: &[&[&str]]) -> io::Result<Self> {
        if bom {
            out.write_all(BOM)?;
        }
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        let mut csv = Self {
            writer,
            guard: Vec::new(),
            text: String::new(),
        };
        for name in header.iter().copied().flatten() {
            csv.field(name)?;
        }
        csv.end_row()?;
        Ok(csv)
    }

    /// Writes one field, guarded against formula injection.
    pub fn field(&mut self, text: &str) -> io::Result<()> {
        if needs_guard(text) {
            self.guard.clear();
            self.guard.push(b'\'');
            self.guard.extend_from_slice(text.as_bytes());
            self.writer.write_field(&self.guard)?;
        } else {
            self.writer.write_field(text)?;
        }
        Ok(())
    }

    /// Writes a field that may be absent (an empty field).
    pub fn opt(&mut self, text: Option<&str>) -> io::Result<()> {
        self.field(text.unwrap_or_default())
    }

    /// Writes a value's `Display` as a field.
    pub fn shown(&mut self, value: impl fmt::Display) -> io::Result<()> {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        let _ = write!(text, "{value}");
        let written = self.field(&text);
        self.text = text;
        written
    }

    /// Writes a value's `Display` as a field, or an empty field when it is absent.
    pub fn opt_shown(&mut self, value: Option<impl fmt::Display>) -> io::Result<()> {
        match value {
            Some(value) => self.shown(value),
            None => self.field(""),
        }
    }

    /// Writes a date: empty when absent or not set (`0001-01-01T00:00:00`), else as
    /// the table shows it, in UTC.
    pub fn date(&mut self, time: Option<&Timestamp>) -> io::Result<()> {
        match shown::date(time) {
            Some(time) => self.shown(time),
            None => self.field(""),
        }
    }

    /// Ends the row.
    pub fn end_row(&mut self) -> io::Result<()> {
        self.writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Writes a row per device of `details`, each after the fields of `prefix`, in
    /// [`BATCH_STATUS`]'s columns.
    pub fn device_rows(
        &mut self,
        prefix: &[&str],
        details: &BatchUploadDetails,
        allowed: &[String],
    ) -> io::Result<()> {
        let status = details.status.as_ref().map(UploadStatus::as_str);
        for device in details.devices() {
            for field in prefix {
                self.field(field)?;
            }
            match &details.batch_tracking_id {
                Some(id) => self.shown(id)?,
                None => self.field("")?,
            }
            self.opt(status)?;
            self.opt(device.serial_number.as_deref())?;
            self.opt(device.product_key.as_deref())?;
            self.opt(device.status.as_ref().map(UploadStatus::as_str))?;
            self.opt(device.error_code.as_ref().map(|code| code.as_str()))?;
            self.opt(device.error_description.as_deref())?;
            let failed = device.is_failed();
            let allowed = failed && allowed.iter().any(|code| device.has_error(code));
            self.field(match (failed, allowed) {
                (false, _) => "",
                (true, true) => "true",
                (true, false) => "false",
            })?;
            self.opt(
                device
                    .ztd_error()
                    .filter(|_| failed)
                    .map(|known| known.hint()),
            )?;
            self.end_row()?;
        }
        Ok(())
    }

    /// Ends the document.
    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// `devices batch-status`: one row per device.
pub fn write_batch_status(
    out: &mut dyn Write,
    details: &BatchUploadDetails,
    allowed: &[String],
    bom: bool,
) -> io::Result<()> {
    let mut csv = CsvOut::start(out, bom, &[BATCH_STATUS])?;
    csv.device_rows(&[], details, allowed)?;
    csv.finish()
}

/// `devices batches`: one row per batch.
pub fn write_batches(out: &mut dyn Write, batches: &[DeviceBatch], bom: bool) -> io::Result<()> {
    let header = ["BatchId", "Devices", "CreationDate", "Status", "CreatedBy"];
    let mut csv = CsvOut::start(out, bom, &[&header])?;
    for batch in batches {
        csv.opt(batch.id.as_ref().map(|id| id.as_str()))?;
        match batch.count() {
            Some(count) => csv.shown(count)?,
            None => csv.field("")?,
        }
        csv.date(batch.created())?;
        csv.opt(batch.status.as_ref().map(UploadStatus::as_str))?;
        csv.opt(batch.created_by.as_deref())?;
        csv.end_row()?;
    }
    csv.finish()
}

/// `devices list`: one row per device.
pub fn write_devices(out: &mut dyn Write, devices: &[Device], bom: bool) -> io::Result<()> {
    let header = [
        "DeviceId",
        "SerialNumber",
        "ProductKey",
        "Manufacturer",
        "Model",
        "UploadedDate",
    ];
    let mut csv = CsvOut::start(out, bom, &[&header])?;
    for device in devices {
        csv.opt(device.id.as_ref().map(|id| id.as_str()))?;
        csv.opt(device.serial_number.as_deref())?;
        csv.opt(device.product_key.as_deref())?;
        csv.opt(device.oem_manufacturer_name.as_deref())?;
        csv.opt(device.model_name.as_deref())?;
        csv.date(device.uploaded_date.as_ref())?;
        csv.end_row()?;
    }
    csv.finish()
}

/// `devices upload` without `--wait`: one row per accepted part, of `planned`.
pub fn write_parts(
    out: &mut dyn Write,
    parts: &[&UploadPart],
    planned: usize,
    bom: bool,
) -> io::Result<()> {
    let header = ["Part", "Parts", "TrackingId", "Location", "Devices"];
    let mut csv = CsvOut::start(out, bom, &[&header])?;
    for (index, part) in parts.iter().enumerate() {
        csv.shown(index + 1)?;
        csv.shown(planned)?;
        csv.shown(part.tracking_id)?;
        csv.opt(part.location.as_deref())?;
        csv.shown(part.devices)?;
        csv.end_row()?;
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(details: &str, allowed: &[&str], bom: bool) -> String {
        let details: BatchUploadDetails = pc_models::from_slice(details.as_bytes()).unwrap();
        let allowed: Vec<String> = allowed.iter().map(|code| (*code).to_owned()).collect();
        let mut out = Vec::new();
        write_batch_status(&mut out, &details, &allowed, bom).unwrap();
        String::from_utf8(out).unwrap()
    }

    const DOCUMENT: &str = r#"{"batchTrackingId":"0127ed8e-ff72-4983-a3d8-e8d8bd378932","status":"finished_with_errors",
        "startedTime":"2019-02-05T21:57:06","completedTime":"0001-01-01T00:00:00","devicesStatus":[
        {"serialNumber":"SN-1","productKey":"","status":"finished","errorCode":""},
        {"serialNumber":"=HYPERLINK(\"x\"),1","status":"finished_with_errors","errorCode":"808","errorDescription":"ZtdDeviceAssignedToOtherTenant"},
        {"serialNumber":"Café-Ø\u001b[31m","status":"finished_with_errors","errorCode":"806","errorDescription":"line\nbreak"}]}"#;

    #[test]
    fn a_batch_status_one_row_per_device() {
        let text = render(DOCUMENT, &["806"], true);
        assert!(text.starts_with('\u{feff}'));
        assert!(text.ends_with("\r\n"));
        // The escape code is kept as sent: csv writes values in full.
        assert!(text.contains("Café-Ø\x1b[31m"));
        insta::assert_snapshot!(
            text.replace('\u{feff}', "[BOM]")
                .replace('\r', "␍")
                .replace('\x1b', "␛")
        );
    }

    #[test]
    fn no_bom_leaves_it_out() {
        let text = render(DOCUMENT, &[], false);
        assert!(text.starts_with("BatchTrackingId,BatchStatus,"), "{text}");
    }

    #[test]
    fn the_formula_characters_are_guarded() {
        for (field, written) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("1-2", "1-2"),
            ("'=x", "'=x"),
            ("", ""),
        ] {
            assert_eq!(guarded(field), written, "{field:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    include!("../../../test-support/proptest_cases.rs");

    /// Text a spreadsheet or a person might put in a field: formula starters, quotes,
    /// separators, line breaks, accents and control characters.
    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,12}",
            "[=+@\t\r\n\",;' a-zÉø-]{0,8}",
            "(=|\\+|-|@|\t|\r)[^\u{0}]{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(cases(2_000))]

        #[test]
        fn every_field_reads_back_as_written_after_the_guard(
            rows in prop::collection::vec(prop::collection::vec(field(), 3), 1..5),
            bom in any::<bool>(),
        ) {
            let mut out = Vec::new();
            {
                let mut csv = CsvOut::start(&mut out, bom, &[&["A", "B", "C"]]).unwrap();
                for row in &rows {
                    for field in row {
                        csv.field(field).unwrap();
                    }
                    csv.end_row().unwrap();
                }
                csv.finish().unwrap();
            }
            prop_assert_eq!(out.starts_with(BOM), bom);
            let body = if bom { &out[BOM.len()..] } else { &out[..] };
            let mut reader = csv::ReaderBuilder::new().from_reader(body);
            prop_assert_eq!(reader.headers().unwrap(), vec!["A", "B", "C"]);
            let read: Vec<Vec<String>> = reader
                .records()
                .map(|record| record.unwrap().iter().map(str::to_owned).collect())
                .collect();
            let expected: Vec<Vec<String>> = rows
                .iter()
                .map(|row| row.iter().map(|field| guarded(field).into_owned()).collect())
                .collect();
            prop_assert_eq!(read, expected);
        }
    }
}

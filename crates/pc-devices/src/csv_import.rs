//! The Autopilot CSV import: the file `Get-WindowsAutopilotInfo` writes, read into
//! devices, all or nothing.
//!
//! Encodings: UTF-8 with or without a byte-order mark, UTF-16 LE or BE with one (what
//! Windows PowerShell 5.1's `Out-File` writes). Columns (header names matched without
//! regard to case): `Device Serial Number`, `Windows Product ID`, `Hardware Hash`, and
//! optionally `Group Tag`, `Assigned User`, and (with `-Partner`) `Manufacturer name`,
//! `Device model`. Other columns are ignored.
//!
//! The rules (the `pc devices upload` contract):
//! - every row carries one combination the service accepts: a hardware hash; a product
//!   key, with or without a serial number; or a serial number with manufacturer and
//!   model;
//! - a hardware hash is valid base64;
//! - a non-empty serial number appears once, except that a row repeated exactly is sent
//!   once, with a warning;
//! - the file holds at least one device row;
//! - `Group Tag` and `Assigned User` have no field in this API: they are read, not
//!   sent, and a warning says so once.
//!
//! Either every row is accepted, or the error lists every bad line as `line N: reason`
//! (N the 1-based line where the record starts, the header being line 1) and no device.
//!
//! ```
//! let file = b"Device Serial Number,Windows Product ID,Hardware Hash\r\n\
//!              SN-1,,T0RJVkNF\r\n\
//!              SN-2,00330-80000-00000-AA123,\r\n";
//! let import = pc_devices::csv_import::parse_autopilot_csv(file)?;
//! assert_eq!(import.devices.len(), 2);
//! assert_eq!(import.devices[0].serial_number.as_deref(), Some("SN-1"));
//! assert_eq!(import.devices[0].hardware_hash.as_deref(), Some("T0RJVkNF"));
//!
//! let error = pc_devices::csv_import::parse_autopilot_csv(
//!     b"Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,,not base64!\n",
//! )
//! .unwrap_err();
//! assert_eq!(error.problems()[0].to_string(), "line 2: the hardware hash is not valid base64");
//! # Ok::<(), pc_devices::csv_import::CsvError>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use pc_models::Device;

/// Base64 as Windows writes it (standard alphabet), padded or not.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The devices of an accepted file, and what the user should be told about it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CsvImport {
    /// The devices to upload, in file order, each exactly repeated row once.
    pub devices: Vec<Device>,
    /// Things worth saying that do not refuse the file.
    pub warnings: Vec<CsvWarning>,
}

/// Something about an accepted file worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvWarning {
    /// Some row fills columns this API has no field for (`Group Tag`, `Assigned User`):
    /// they are read, not sent. Reported once per file.
    UnsentColumns {
        /// The columns some row fills, as the header spells them.
        columns: Vec<String>,
        /// The first line that fills one of them.
        line: usize,
    },
    /// A row repeats an earlier one exactly (as `-Append` re-runs produce): the device
    /// is sent once.
    RepeatedRow {
        /// The line of the repeat.
        line: usize,
        /// The line of the first occurrence.
        first_line: usize,
    },
}

impl fmt::Display for CsvWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvWarning::UnsentColumns { columns, line } => write!(
                f,
                "{} {} read but not sent: this API has no field for {} (first filled on line {line})",
                columns.join(" and "),
                if columns.len() == 1 { "is" } else { "are" },
                if columns.len() == 1 { "it" } else { "them" },
            ),
            CsvWarning::RepeatedRow { line, first_line } => write!(
                f,
                "line {line}: repeats line {first_line} exactly; the device is sent once"
            ),
        }
    }
}

/// One reason a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvProblem {
    /// The 1-based line where the bad record starts (the header is line 1); `None` for
    /// a problem of the whole file.
    pub line: Option<usize>,
    /// What is wrong, for people.
    pub reason: String,
}

impl CsvProblem {
    fn at(line: usize, reason: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            reason: reason.into(),
        }
    }

    fn file(reason: impl Into<String>) -> Self {
        Self {
            line: None,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// A refused file: every problem found, in file order. Nothing is to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    problems: Vec<CsvProblem>,
}

impl CsvError {
    /// Every problem, in file order (never empty).
    pub fn problems(&self) -> &[CsvProblem] {
        &self.problems
    }
}

/// `the CSV file was refused (N problems; nothing was sent):` then one problem a line.
impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "the CSV file was refused ({count} problem{}; nothing was sent):",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CsvError {}

/// The columns this import knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Serial,
    ProductKey,
    Hash,
    GroupTag,
    AssignedUser,
    Manufacturer,
    Model,
}

impl Column {
    const ALL: [(Column, &'static str); 7] = [
        (Column::Serial, "Device Serial Number"),
        (Column::ProductKey, "Windows Product ID"),
        (Column::Hash, "Hardware Hash"),
        (Column::GroupTag, "Group Tag"),
        (Column::AssignedUser, "Assigned User"),
        (Column::Manufacturer, "Manufacturer name"),
        (Column::Model, "Device model"),
    ];
    const REQUIRED: [Column; 3] = [Column::Serial, Column::ProductKey, Column::Hash];

    fn named(name: &str) -> Option<Column> {
        Self::ALL
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|(column, _)| *column)
    }

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(column, _)| *column == self)
            .map_or("", |(_, name)| name)
    }
}

/// Reads an Autopilot CSV file into devices; see the [module docs](self).
pub fn parse_autopilot_csv(bytes: &[u8]) -> Result<CsvImport, CsvError> {
    let text = decode(bytes).map_err(|problem| CsvError {
        problems: vec![problem],
    })?;
    let mut text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    // `Export-Csv` without `-NoTypeInformation` writes a `#TYPE …` line first.
    let mut line_offset = 0;
    if text.starts_with("#TYPE") {
        text = text.split_once('\n').map_or("", |(_, rest)| rest);
        line_offset = 1;
    }
    Import::default().run(text, line_offset)
}

/// The file's text: UTF-8 (a BOM is dropped later), or UTF-16 after its BOM.
fn decode(bytes: &[u8]) -> Result<String, CsvProblem> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, u16::from_le_bytes, "UTF-16 LE");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, u16::from_be_bytes, "UTF-16 BE");
    }
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|byte| **byte == b'\n').count();
    if let Some(at) = bytes.iter().position(|byte| *byte == 0) {
        return Err(CsvProblem::at(
            line_of(at),
            "the file holds NUL bytes: it looks like UTF-16 without a byte-order mark; \
             save it as UTF-8, or as UTF-16 with a byte-order mark",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => Err(CsvProblem::at(
            line_of(error.valid_up_to()),
            "the file is not UTF-8 text (nor UTF-16 with a byte-order mark); save it as UTF-8",
        )),
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, name: &str) -> Result<String, CsvProblem> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(character) => text.push(character),
            Err(_) => {
                let line = 1 + text.matches('\n').count();
                return Err(CsvProblem::at(
                    line,
                    format!("the file is not valid {name} text"),
                ));
            }
        }
    }
    if bytes.len() % 2 == 1 {
        let line = 1 + text.matches('\n').count();
        return Err(CsvProblem::at(
            line,
            format!("the file ends in the middle of a {name} character"),
        ));
    }
    Ok(text)
}

/// The state of one import.
#[derive(Default)]
struct Import {
    columns: Vec<Option<Column>>,
    header_names: HashMap<Column, String>,
    devices: Vec<Device>,
    warnings: Vec<CsvWarning>,
    problems: Vec<CsvProblem>,
    rows_seen: HashMap<Vec<String>, usize>,
    serials_seen: HashMap<String, (usize, String)>,
    unsent: Option<(Vec<String>, usize)>,
}

impl Import {
    fn run(mut self, text: &str, line_offset: usize) -> Result<CsvImport, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        // The csv crate's own line count goes wrong after `\r\n`; count from the byte
        // offset instead, skipping the line ending the position may point into.
        let line_at = |position: Option<&csv::Position>| {
            let start = position.map_or(0, |position| position.byte() as usize);
            let rest = text.get(start..).unwrap_or_default();
            let start = start + (rest.len() - rest.trim_start_matches(['\r', '\n']).len());
            let before = text.get(..start).unwrap_or(text);
            1 + before.matches('\n').count() + line_offset
        };
        let record_line = |record: &csv::StringRecord| line_at(record.position());
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(error)) => {
                return Err(
                    self.refuse(CsvProblem::at(line_at(error.position()), error.to_string()))
                );
            }
            None => {
                return Err(self.refuse(CsvProblem::file(
                    "the file is empty: expected a header row naming Device Serial Number, \
                     Windows Product ID and Hardware Hash",
                )));
            }
        };
        self.read_header(&header, record_line(&header));
        if !self.problems.is_empty() {
            return Err(CsvError {
                problems: self.problems,
            });
        }
        for record in records {
            match record {
                Ok(record) => {
                    let line = record_line(&record);
                    self.read_row(&record, line);
                }
                Err(error) => {
                    let line = line_at(error.position());
                    self.problems.push(CsvProblem::at(line, error.to_string()));
                }
            }
        }
        if self.devices.is_empty() && self.problems.is_empty() {
            self.problems
                .push(CsvProblem::file("the file holds no device rows"));
        }
        if !self.problems.is_empty() {
            return Err(CsvError {
                problems: self.problems,
            });
        }
        if let Some((columns, line)) = self.unsent {
            self.warnings
                .insert(0, CsvWarning::UnsentColumns { columns, line });
        }
        Ok(CsvImport {
            devices: self.devices,
            warnings: self.warnings,
        })
    }

    fn refuse(self, problem: CsvProblem) -> CsvError {
        let mut problems = self.problems;
        problems.push(problem);
        CsvError { problems }
    }

    fn read_header(&mut self, header: &csv::StringRecord, line: usize) {
        for name in header {
            let name = name.trim().trim_start_matches('\u{feff}');
            let column = Column::named(name);
            if let Some(column) = column {
                if self.header_names.contains_key(&column) {
                    self.problems.push(CsvProblem::at(
                        line,
                        format!("the header names the column {:?} twice", column.name()),
                    ));
                }
                self.header_names.insert(column, name.to_owned());
            }
            self.columns.push(column);
        }
        let missing: Vec<&str> = Column::REQUIRED
            .iter()
            .filter(|column| !self.header_names.contains_key(column))
            .map(|column| column.name())
            .collect();
        if !missing.is_empty() {
            let found: Vec<String> = header.iter().map(|name| format!("{name:?}")).collect();
            self.problems.push(CsvProblem::at(
                line,
                format!(
                    "the header lacks the column{} {}; it names {}",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    if found.is_empty() {
                        "nothing".to_owned()
                    } else {
                        found.join(", ")
                    }
                ),
            ));
        }
    }

    fn read_row(&mut self, record: &csv::StringRecord, line: usize) {
        let values: Vec<String> = record.iter().map(|value| value.trim().to_owned()).collect();
        if values.iter().all(String::is_empty) {
            return;
        }
        if values.len() != self.columns.len() {
            self.problems.push(CsvProblem::at(
                line,
                format!(
                    "the row has {} fields but the header has {}",
                    values.len(),
                    self.columns.len()
                ),
            ));
            return;
        }
        let get = |wanted: Column| -> Option<&str> {
            self.columns
                .iter()
                .zip(&values)
                .find(|(column, _)| **column == Some(wanted))
                .map(|(_, value)| value.as_str())
                .filter(|value| !value.is_empty())
        };
        let serial = get(Column::Serial);
        let product_key = get(Column::ProductKey);
        let hash = get(Column::Hash);
        let manufacturer = get(Column::Manufacturer);
        let model = get(Column::Model);
        let unsent: Vec<String> = [Column::GroupTag, Column::AssignedUser]
            .into_iter()
            .filter(|column| get(*column).is_some())
            .filter_map(|column| self.header_names.get(&column).cloned())
            .collect();

        let mut bad = false;
        let accepted = hash.is_some()
            || product_key.is_some()
            || (serial.is_some() && manufacturer.is_some() && model.is_some());
        if !accepted {
            bad = true;
            self.problems.push(CsvProblem::at(
                line,
                missing_identifiers(serial, manufacturer, model),
            ));
        }
        if let Some(hash) = hash
            && BASE64.decode(hash).is_err()
        {
            bad = true;
            self.problems.push(CsvProblem::at(
                line,
                "the hardware hash is not valid base64",
            ));
        }
        if bad {
            return;
        }
        if let Some(first_line) = self.rows_seen.get(&values) {
            self.warnings.push(CsvWarning::RepeatedRow {
                line,
                first_line: *first_line,
            });
            return;
        }
        if let Some(serial) = serial {
            let key = serial.to_uppercase();
            if let Some((first_line, first_serial)) = self.serials_seen.get(&key) {
                self.problems.push(CsvProblem::at(
                    line,
                    format!(
                        "the serial number {serial:?} already appears on line {first_line}{}",
                        if first_serial == serial {
                            String::new()
                        } else {
                            format!(" (as {first_serial:?})")
                        }
                    ),
                ));
                return;
            }
            self.serials_seen.insert(key, (line, serial.to_owned()));
        }
        if !unsent.is_empty() {
            match &mut self.unsent {
                None => self.unsent = Some((unsent, line)),
                Some((columns, _)) => {
                    for column in unsent {
                        if !columns.contains(&column) {
                            columns.push(column);
                        }
                    }
                }
            }
        }
        self.devices.push(Device {
            serial_number: serial.map(str::to_owned),
            product_key: product_key.map(str::to_owned),
            hardware_hash: hash.map(str::to_owned),
            oem_manufacturer_name: manufacturer.map(str::to_owned),
            model_name: model.map(str::to_owned),
            ..Device::default()
        });
        self.rows_seen.insert(values, line);
    }
}

fn missing_identifiers(
    serial: Option<&str>,
    manufacturer: Option<&str>,
    model: Option<&str>,
) -> String {
    let mut reason = "the device lacks every accepted set of identifiers: it needs a hardware \
                      hash, a Windows product ID, or a serial number with manufacturer and model"
        .to_owned();
    if serial.is_some() {
        let lacking: Vec<&str> = [("Manufacturer name", manufacturer), ("Device model", model)]
            .into_iter()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name)
            .collect();
        reason.push_str(&format!(
            " (it has a serial number but no {})",
            lacking.join(" or ")
        ));
    }
    reason
}

#[cfg(test)]
mod tests;

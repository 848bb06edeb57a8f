//! The Autopilot CSV file of `pc devices upload`, read before anything else is looked at.

use std::path::Path;

use pc_models::Device;

use crate::exit::Failure;

/// The devices of an Autopilot CSV file, and what to tell the user about it.
#[derive(Debug)]
pub struct CsvDevices {
    /// The devices, in file order.
    pub devices: Vec<Device>,
    /// Warnings for stderr (unsent columns, repeated rows).
    pub warnings: Vec<String>,
    /// The SHA-256 of the file's bytes, lower-case hex, as the journal records it.
    pub sha256: String,
}

/// Reads an Autopilot CSV file; every bad line is reported, and nothing is to be sent
/// (exit 2).
pub fn read_autopilot_csv(path: &Path) -> Result<CsvDevices, Failure> {
    let bytes = std::fs::read(path).map_err(|error| {
        Failure::usage(format!(
            "cannot read the CSV file {}: {error}",
            path.display()
        ))
    })?;
    let import = pc_devices::parse_autopilot_csv(&bytes)
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
    Ok(CsvDevices {
        sha256: crate::journal::csv_sha256(&bytes),
        devices: import.devices,
        warnings: import
            .warnings
            .iter()
            .map(|warning| warning.to_string())
            .collect(),
    })
}

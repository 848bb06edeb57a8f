//! `pc devices delete`: one device out of a batch.

use pc_models::{BatchId, CustomerId};
use serde::Serialize;

use crate::api::Api;
use crate::cli::OutputFormat;
use crate::exit::Exit;
use crate::output::{Ctx, emit, fail, write_json};

/// `{"batchId": …, "deviceId": …, "deleted": true}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Deleted<'a> {
    batch_id: &'a str,
    device_id: &'a str,
    deleted: bool,
}

/// `pc devices delete`.
pub fn delete(
    ctx: &Ctx,
    api: &Api,
    customer: CustomerId,
    batch: &BatchId,
    device: &pc_models::DeviceId,
) -> Exit {
    match api.delete_device(customer, batch, device) {
        Ok(()) => {
            match ctx.output {
                OutputFormat::Json => emit(|out| {
                    write_json(
                        out,
                        &Deleted {
                            batch_id: batch.as_str(),
                            device_id: device.as_str(),
                            deleted: true,
                        },
                    )
                }),
                // `-o csv` is refused before the command runs.
                OutputFormat::Table | OutputFormat::Csv => {
                    emit(|out| writeln!(out, "deleted device {device} from batch \"{batch}\""));
                }
            }
            Exit::Success
        }
        Err(failure) => fail(&failure),
    }
}

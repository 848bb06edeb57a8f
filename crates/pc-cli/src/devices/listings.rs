//! `pc devices batches` and `pc devices list`: whole listings, every page.

use std::io::{self, Write};

use pc_models::{BatchId, CustomerId};
use serde::Serialize;

use crate::api::Api;
use crate::cli::OutputFormat;
use crate::exit::{Exit, Failure};
use crate::output::csv;
use crate::output::table::{self, Style};
use crate::output::{Ctx, emit, fail, write_json};

/// `{"totalCount": N, "items": […]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing<'a, T> {
    total_count: usize,
    items: &'a [T],
}

/// Prints a whole listing: `{"totalCount": N, "items": […]}` or its table.
fn show_listing<T: Serialize>(
    ctx: &Ctx,
    listed: Result<Vec<T>, Failure>,
    table: impl FnOnce(&mut dyn Write, &[T], Style) -> io::Result<()>,
    csv: impl FnOnce(&mut dyn Write, &[T], bool) -> io::Result<()>,
) -> Exit {
    let items = match listed {
        Ok(items) => items,
        Err(failure) => return fail(&failure),
    };
    match ctx.output {
        OutputFormat::Json => emit(|out| {
            write_json(
                out,
                &Listing {
                    total_count: items.len(),
                    items: &items,
                },
            )
        }),
        OutputFormat::Table => emit(|out| table(out, &items, ctx.style)),
        OutputFormat::Csv => emit(|out| csv(out, &items, ctx.bom)),
    }
    Exit::Success
}

/// `pc devices batches`.
pub fn batches(ctx: &Ctx, api: &Api, customer: CustomerId) -> Exit {
    show_listing(
        ctx,
        api.batches(customer),
        |out, items, style| table::write_batches(out, items, style),
        |out, items, bom| csv::write_batches(out, items, bom),
    )
}

/// `pc devices list`.
pub fn list(ctx: &Ctx, api: &Api, customer: CustomerId, batch: &BatchId) -> Exit {
    show_listing(
        ctx,
        api.devices(customer, batch),
        |out, items, style| table::write_devices(out, items, style),
        |out, items, bom| csv::write_devices(out, items, bom),
    )
}

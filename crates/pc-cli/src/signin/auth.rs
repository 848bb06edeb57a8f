//! `pc auth login | status | logout`: the app+user sign-in kept in the token file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget};
use pc_http::Secret;
use serde::Serialize;

use crate::api::Api;
use crate::cli::OutputFormat;
use crate::exit::{Exit, Failure};
use crate::output::{Ctx, emit_json, fail};
use crate::settings::{self, Settings};
use crate::signin::credentials::{self as config, Credentials};
use crate::signin::token_file::{self, STALE_AFTER, SignIn};

/// Where the token file is, or why there is none.
fn require(path: Option<&Path>) -> Result<&Path, Failure> {
    path.ok_or_else(|| {
        Failure::usage(format!(
            "no token file: give --token-file PATH or set {} (no config folder is known: \
             set HOME or XDG_CONFIG_HOME)",
            settings::TOKEN_FILE
        ))
    })
}

/// `pc auth login`.
pub fn login(
    ctx: &Ctx,
    settings: &Settings,
    tenant: Option<String>,
    client_id: Option<String>,
) -> Exit {
    match try_login(ctx, settings, tenant, client_id) {
        Ok(exit) => exit,
        Err(failure) => fail(&failure),
    }
}

fn try_login(
    ctx: &Ctx,
    settings: &Settings,
    tenant: Option<String>,
    client_id: Option<String>,
) -> Result<Exit, Failure> {
    let path = require(settings.token_file.as_deref())?;
    let given =
        |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let (tenant, client_id) = match (given(tenant), given(client_id)) {
        (Some(tenant), Some(client_id)) => (tenant, client_id),
        (tenant, client_id) => {
            let mut missing = Vec::new();
            if tenant.is_none() {
                missing.push(format!("--tenant (or {})", config::TENANT_ID));
            }
            if client_id.is_none() {
                missing.push(format!("--client-id (or {})", config::CLIENT_ID));
            }
            return Err(Failure::usage(format!(
                "signing in needs the tenant and the app's client id: give {}; nothing was \
                 sent",
                missing.join(" and ")
            )));
        }
    };
    let setup = settings.client()?;
    let secret = std::env::var(config::CLIENT_SECRET)
        .ok()
        .filter(|secret| !secret.trim().is_empty())
        .map(Secret::new);
    let spinner = std::io::stderr().is_terminal().then(|| {
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        spinner.set_message("waiting for the sign-in…");
        spinner
    });
    let token = Api::sign_in(&setup, &tenant, &client_id, secret, |authorization| {
        eprintln!("{}", authorization.instructions());
        if let Some(spinner) = &spinner {
            spinner.enable_steady_tick(Duration::from_millis(120));
        }
    });
    if let Some(spinner) = &spinner {
        spinner.finish_and_clear();
    }
    let token = token?;
    let refresh_token = token.refresh_token.ok_or_else(|| {
        Failure::new(
            Exit::Service,
            "the sign-in succeeded but the token endpoint gave no refresh token, so it cannot \
             be kept for later commands (is offline access granted to the app?)",
        )
    })?;
    token_file::write(
        path,
        &SignIn {
            tenant: tenant.clone(),
            client_id,
            authority: setup.authority,
            refresh_token,
        },
    )?;
    match ctx.output {
        OutputFormat::Json => emit_json(&TokenFileJson {
            token_file: path.display().to_string(),
        }),
        OutputFormat::Table | OutputFormat::Csv => println!(
            "Signed in to {tenant}; the sign-in is kept in {} for later commands",
            path.display()
        ),
    }
    Ok(Exit::Success)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenFileJson {
    token_file: String,
}

/// `{"source", "tenant", "clientId", "authority", "tokenFile", "lastWritten"}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusJson {
    source: String,
    tenant: Option<String>,
    client_id: Option<String>,
    authority: Option<String>,
    token_file: Option<String>,
    last_written: Option<String>,
}

/// `pc auth status`: which credentials a command would use now, contacting no one.
pub fn status(ctx: &Ctx, settings: &Settings) -> Exit {
    let token_path = settings.token_file.as_deref();
    let credentials = match config::credentials(|name| std::env::var(name).ok(), token_path) {
        Ok(credentials) => credentials,
        Err(failure) => return fail(&failure),
    };
    // The authority a command would use, where the settings are usable.
    let authority = |file: Option<&str>| {
        let settings = match file {
            Some(authority) => settings.with_file_authority(authority),
            None => settings.clone(),
        };
        settings.client().ok().map(|setup| setup.authority)
    };
    let status = match &credentials {
        Credentials::AccessToken(_) => StatusJson {
            source: config::ACCESS_TOKEN.to_owned(),
            tenant: None,
            client_id: None,
            authority: None,
            token_file: None,
            last_written: None,
        },
        Credentials::AppOnly {
            tenant, client_id, ..
        } => StatusJson {
            source: format!(
                "{}, {} and {} (app-only)",
                config::TENANT_ID,
                config::CLIENT_ID,
                config::CLIENT_SECRET
            ),
            tenant: Some(tenant.clone()),
            client_id: Some(client_id.clone()),
            authority: authority(None),
            token_file: None,
            last_written: None,
        },
        Credentials::RefreshToken {
            tenant, client_id, ..
        } => StatusJson {
            source: format!("{} (app+user)", config::REFRESH_TOKEN),
            tenant: Some(tenant.clone()),
            client_id: Some(client_id.clone()),
            authority: authority(None),
            token_file: None,
            last_written: None,
        },
        Credentials::TokenFile { path, sign_in, .. } => StatusJson {
            source: "token file (app+user)".to_owned(),
            tenant: Some(sign_in.tenant.clone()),
            client_id: Some(sign_in.client_id.clone()),
            authority: authority(Some(&sign_in.authority)),
            token_file: Some(path.display().to_string()),
            last_written: token_file::last_written(path).map(rfc3339),
        },
    };
    if let Credentials::TokenFile { path, .. } = &credentials {
        warn_if_stale(path);
    }
    match ctx.output {
        OutputFormat::Json => emit_json(&status),
        OutputFormat::Table | OutputFormat::Csv => {
            let mut lines = vec![format!("credentials: {}", status.source)];
            for (name, value) in [
                ("tenant", &status.tenant),
                ("client id", &status.client_id),
                ("authority", &status.authority),
                ("token file", &status.token_file),
                ("last written", &status.last_written),
            ] {
                if let Some(value) = value {
                    lines.push(format!("{name}: {value}"));
                }
            }
            println!("{}", lines.join("\n"));
        }
    }
    Exit::Success
}

/// A refresh token unused for 90 days expires: warn from day 80.
fn warn_if_stale(path: &Path) {
    let Some(age) = token_file::last_written(path)
        .and_then(|written| SystemTime::now().duration_since(written).ok())
    else {
        return;
    };
    if age > STALE_AFTER {
        eprintln!(
            "warning: the token file {} was last written {} days ago; a refresh token unused \
             for 90 days expires, and the sign-in must then be redone with `pc auth login`; \
             any command that uses it renews it",
            path.display(),
            age.as_secs() / 86_400
        );
    }
}

/// A time as RFC 3339 UTC, to the second.
fn rfc3339(time: SystemTime) -> String {
    pc_models::UtcDateTime::from_unix_seconds(pc_models::UtcDateTime::from(time).unix_seconds())
        .to_string()
}

/// `pc auth logout`: deletes the token file.
pub fn logout(ctx: &Ctx, settings: &Settings) -> Exit {
    let path = match require(settings.token_file.as_deref()) {
        Ok(path) => path,
        Err(failure) => return fail(&failure),
    };
    let deleted = match token_file::remove(path) {
        Ok(deleted) => deleted,
        Err(failure) => return fail(&failure),
    };
    match ctx.output {
        OutputFormat::Json => emit_json(&LogoutJson {
            token_file: path.to_path_buf(),
            deleted,
        }),
        OutputFormat::Table if deleted => println!("Signed out: deleted {}", path.display()),
        OutputFormat::Table | OutputFormat::Csv => {
            println!("No token file at {}; nothing to do", path.display());
        }
    }
    Exit::Success
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogoutJson {
    token_file: PathBuf,
    deleted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_rfc3339_utc() {
        let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_796_428_799)), "2026-12-04T23:59:59Z");
    }
}

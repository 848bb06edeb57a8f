//! Who `pc` is to the service: the credentials from the environment (never from
//! flags: flags leak into shell history and `ps`) and the token file, in the
//! contract's order.

use std::fmt;
use std::path::Path;

use pc_http::Secret;

use crate::exit::Failure;
use crate::signin::token_file::{self, SignIn};

/// Who `pc` is to the service.
pub enum Credentials {
    /// `PARTNER_CENTER_ACCESS_TOKEN`, used as it is.
    AccessToken(Secret),
    /// App-only: the client-credentials grant.
    AppOnly {
        /// `PARTNER_CENTER_TENANT_ID`.
        tenant: String,
        /// `PARTNER_CENTER_CLIENT_ID`.
        client_id: String,
        /// `PARTNER_CENTER_CLIENT_SECRET`.
        client_secret: Secret,
    },
    /// App+user: `PARTNER_CENTER_REFRESH_TOKEN` with the tenant and client id (and the
    /// client secret of a confidential app); a rolled refresh token is kept in memory.
    RefreshToken {
        /// `PARTNER_CENTER_TENANT_ID`.
        tenant: String,
        /// `PARTNER_CENTER_CLIENT_ID`.
        client_id: String,
        /// `PARTNER_CENTER_CLIENT_SECRET`, for a confidential app.
        client_secret: Option<Secret>,
        /// `PARTNER_CENTER_REFRESH_TOKEN`.
        refresh_token: Secret,
    },
    /// App+user from the token file `pc auth login` wrote; each refresh writes the
    /// rolled refresh token back.
    TokenFile {
        /// The file.
        path: std::path::PathBuf,
        /// What it held when the command started.
        sign_in: SignIn,
        /// `PARTNER_CENTER_CLIENT_SECRET`, when it belongs to the file's app.
        client_secret: Option<Secret>,
    },
}

impl Credentials {
    /// A bearer token used as it is.
    pub fn access_token(token: String) -> Self {
        Self::AccessToken(Secret::new(token))
    }

    /// App-only credentials.
    pub fn client_credentials(tenant: String, client_id: String, client_secret: String) -> Self {
        Self::AppOnly {
            tenant,
            client_id,
            client_secret: Secret::new(client_secret),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AccessToken(_) => f.write_str("AccessToken([redacted])"),
            Self::AppOnly {
                tenant, client_id, ..
            } => f
                .debug_struct("AppOnly")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::RefreshToken {
                tenant, client_id, ..
            } => f
                .debug_struct("RefreshToken")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            Self::TokenFile { path, sign_in, .. } => f
                .debug_struct("TokenFile")
                .field("path", path)
                .field("sign_in", sign_in)
                .finish_non_exhaustive(),
        }
    }
}

/// `PARTNER_CENTER_ACCESS_TOKEN`: a bearer token used as is.
pub const ACCESS_TOKEN: &str = "PARTNER_CENTER_ACCESS_TOKEN";
/// `PARTNER_CENTER_TENANT_ID`.
pub const TENANT_ID: &str = "PARTNER_CENTER_TENANT_ID";
/// `PARTNER_CENTER_CLIENT_ID`.
pub const CLIENT_ID: &str = "PARTNER_CENTER_CLIENT_ID";
/// `PARTNER_CENTER_CLIENT_SECRET`.
pub const CLIENT_SECRET: &str = "PARTNER_CENTER_CLIENT_SECRET";

/// `PARTNER_CENTER_REFRESH_TOKEN`.
pub const REFRESH_TOKEN: &str = "PARTNER_CENTER_REFRESH_TOKEN";

/// The credentials a command that needs the API uses, the first complete set in this
/// order: the access token; the refresh token with the tenant and client id; the token
/// file, when it exists (`token_file`); the three client-credential variables. An
/// empty variable counts as unset. No complete set is exit 2, naming the variables and
/// `pc auth login`, or what an incomplete set lacks; so is a token file that cannot be
/// used (readable by others, not a sign-in).
pub fn credentials(
    env: impl Fn(&str) -> Option<String>,
    token_file: Option<&Path>,
) -> Result<Credentials, Failure> {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if let Some(token) = var(ACCESS_TOKEN) {
        return Ok(Credentials::access_token(token.trim().to_owned()));
    }
    let secret = var(CLIENT_SECRET).map(Secret::new);
    if let (Some(refresh_token), Some(tenant), Some(client_id)) =
        (var(REFRESH_TOKEN), var(TENANT_ID), var(CLIENT_ID))
    {
        return Ok(Credentials::RefreshToken {
            tenant: tenant.trim().to_owned(),
            client_id: client_id.trim().to_owned(),
            client_secret: secret,
            refresh_token: Secret::new(refresh_token.trim()),
        });
    }
    if let Some(path) = token_file
        && let Some(sign_in) = token_file::read(path)?
    {
        // The client secret belongs to the file's app only when no other app is named.
        let client_id = var(CLIENT_ID);
        let same_app = client_id
            .as_deref()
            .is_none_or(|id| id.trim() == sign_in.client_id);
        return Ok(Credentials::TokenFile {
            path: path.to_owned(),
            sign_in,
            client_secret: secret.filter(|_| same_app),
        });
    }
    let set = [TENANT_ID, CLIENT_ID, CLIENT_SECRET].map(|name| (name, var(name)));
    if let [(_, Some(tenant)), (_, Some(client_id)), (_, Some(secret))] = set {
        return Ok(Credentials::client_credentials(
            tenant.trim().to_owned(),
            client_id.trim().to_owned(),
            secret,
        ));
    }
    let listed = |names: &[&'static str], want: bool| -> Vec<&'static str> {
        names
            .iter()
            .copied()
            .filter(|name| var(name).is_some() == want)
            .collect()
    };
    let sentence = |kind: &str, given: Vec<&str>, missing: Vec<&str>, advice: &str| {
        Failure::usage(format!(
            "incomplete {kind} credentials: {} {} set but {} {} missing; {advice}; \
             nothing was sent",
            given.join(" and "),
            if given.len() == 1 { "is" } else { "are" },
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" },
        ))
    };
    if var(REFRESH_TOKEN).is_some() {
        return Err(sentence(
            "app+user",
            listed(&[REFRESH_TOKEN, TENANT_ID, CLIENT_ID], true),
            listed(&[TENANT_ID, CLIENT_ID], false),
            "a refresh token is used with the tenant and client id it was issued for",
        ));
    }
    let app_only = [TENANT_ID, CLIENT_ID, CLIENT_SECRET];
    let given = listed(&app_only, true);
    if given.is_empty() {
        return Err(Failure::usage(format!(
            "no credentials: run `pc auth login` to sign in, or set {ACCESS_TOKEN} to a \
             bearer token, or {TENANT_ID}, {CLIENT_ID} and {CLIENT_SECRET} for app-only \
             access; nothing was sent"
        )));
    }
    Err(sentence(
        "client",
        given,
        listed(&app_only, false),
        &format!("set all three, or {ACCESS_TOKEN}, or run `pc auth login`"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_first_complete_set_wins() {
        let token = credentials(env(&[(ACCESS_TOKEN, "t"), (CLIENT_ID, "c")]), None).unwrap();
        assert!(matches!(token, Credentials::AccessToken(_)));
        let app = credentials(
            env(&[
                (TENANT_ID, "t"),
                (CLIENT_ID, "c"),
                (CLIENT_SECRET, "s3cret"),
                (ACCESS_TOKEN, " "),
            ]),
            None,
        )
        .unwrap();
        assert!(matches!(app, Credentials::AppOnly { .. }));
        assert!(!format!("{app:?}").contains("s3cret"));
    }

    #[test]
    fn missing_and_incomplete_sets_say_what_lacks() {
        let none = credentials(env(&[]), None).unwrap_err();
        assert!(none.message.starts_with("no credentials"), "{none}");
        let partial = credentials(env(&[(CLIENT_ID, "c"), (TENANT_ID, "t")]), None).unwrap_err();
        assert_eq!(
            partial.message,
            "incomplete client credentials: PARTNER_CENTER_TENANT_ID and \
             PARTNER_CENTER_CLIENT_ID are set but PARTNER_CENTER_CLIENT_SECRET is missing; \
             set all three, or PARTNER_CENTER_ACCESS_TOKEN, or run `pc auth login`; nothing \
             was sent"
        );
    }
}

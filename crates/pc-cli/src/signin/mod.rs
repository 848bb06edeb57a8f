//! Who `pc` is to the service: the credentials in the contract's order
//! ([`credentials`]), the token file ([`token_file`]) and the provider that refreshes
//! from it ([`refresh`]), the `pc auth` commands ([`auth`]), and [`connect`], which turns
//! the credentials into a client.

pub mod auth;
pub mod claims;
pub mod credentials;
pub mod refresh;
pub mod token_file;

use std::sync::Arc;

use pc_http::{ClientCredentials, RefreshTokenGrant, StaticToken, TokenProvider};

use crate::api::Api;
use crate::exit::Failure;
use crate::settings::{Settings, config};
use credentials::Credentials;
use refresh::TokenFileProvider;

/// The client of a command that needs the API: the first complete set of credentials
/// (`env` reads the environment), the settings' authority (or the token file's), and
/// the token file's first refresh made at once. Every failure before that refresh is
/// exit 2, nothing sent; the refresh's own is its exit code (a locked file 5, a
/// refused refresh token 4).
pub fn connect(settings: &Settings, env: impl Fn(&str) -> Option<String>) -> Result<Api, Failure> {
    let credentials = credentials::credentials(env, settings.token_file.as_deref())?;
    connect_with(settings, credentials)
}

/// [`connect`] with credentials already chosen.
pub fn connect_with(settings: &Settings, credentials: Credentials) -> Result<Api, Failure> {
    let setup = match &credentials {
        Credentials::TokenFile { sign_in, .. } => {
            settings.with_file_authority(&sign_in.authority).client()?
        }
        _ => settings.client()?,
    };
    let authority = setup.authority.as_str();
    let partner_tenant = partner_tenant(&credentials);
    let mut from_file = None;
    let provider: Arc<dyn TokenProvider> = match credentials {
        Credentials::AccessToken(token) => Arc::new(StaticToken::new(token)),
        Credentials::AppOnly {
            tenant,
            client_id,
            client_secret,
        } => Arc::new(
            ClientCredentials::new(authority, &tenant, client_id, client_secret).map_err(config)?,
        ),
        Credentials::RefreshToken {
            tenant,
            client_id,
            client_secret,
            refresh_token,
        } => Arc::new(
            RefreshTokenGrant::new(authority, &tenant, client_id, client_secret, refresh_token)
                .map_err(config)?,
        ),
        Credentials::TokenFile {
            path,
            client_secret,
            ..
        } => {
            let provider = Arc::new(TokenFileProvider::new(
                path,
                authority.to_owned(),
                client_secret,
            ));
            from_file = Some(Arc::clone(&provider));
            provider
        }
    };
    let api = Api::connect(setup, provider)?.with_partner_tenant(partner_tenant);
    // The first refresh from the token file happens now, so that a locked or refused
    // file is said with its own exit code before anything else is sent.
    if let Some(provider) = &from_file {
        provider.refresh(&api.token_context())?;
    }
    Ok(api)
}

/// The partner's tenant the credentials stand for, as the upload journal records it:
/// a bearer token's own `tid` claim, else the tenant the credentials name.
pub fn partner_tenant(credentials: &Credentials) -> Option<String> {
    match credentials {
        Credentials::AccessToken(token) => claims::tenant_of(token.expose()),
        Credentials::AppOnly { tenant, .. } | Credentials::RefreshToken { tenant, .. } => {
            Some(tenant.clone())
        }
        Credentials::TokenFile { sign_in, .. } => Some(sign_in.tenant.clone()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use pc_devices::DevicesClient;
    use pc_http::testing::ScriptedTransport;

    use super::*;
    use crate::exit::Exit;

    const TOKEN: &str = r#"{"access_token":"first","expires_in":3600,"refresh_token":"R0lled"}"#;

    #[test]
    fn a_later_refresh_that_meets_a_locked_token_file_exits_5_naming_the_file() {
        let transport = ScriptedTransport::new();
        transport.push_json(200, TOKEN).push_status(401);
        let (_dir, path) = refresh::tests::token_file("locked");
        let provider = Arc::new(
            TokenFileProvider::new(path.clone(), refresh::tests::AUTHORITY.into(), None)
                .with_lock_wait(Duration::from_millis(100)),
        );
        let client = DevicesClient::builder()
            .base_url("https://partner-center.invalid")
            .token_provider(Arc::clone(&provider))
            .transport(transport.clone())
            .build()
            .unwrap();
        let api = Api::from_client(client);
        // The refresh at start, as `connect` makes it; then another pc holds the lock
        // when a 401 asks for a new token.
        provider.refresh(&api.token_context()).unwrap();
        let held = token_file::lock(&path, token_file::LOCK_WAIT).unwrap();
        let failure = api
            .batches("0b2a6f2e-5d6c-4f47-9b4f-5c3a1f0e7d21".parse().unwrap())
            .unwrap_err();
        drop(held);
        assert_eq!(failure.exit, Exit::Transport, "{failure}");
        assert!(
            failure.message.starts_with(&format!(
                "the token file {} is locked by another pc",
                path.display()
            )),
            "{failure}"
        );
        // The token request and the listing's one page, nothing after the lock.
        assert_eq!(transport.requests().len(), 2);
    }

    #[test]
    fn a_token_file_that_is_gone_at_the_first_refresh_is_exit_2_sending_nothing() {
        let (dir, path) = refresh::tests::token_file("gone");
        let credentials = credentials::credentials(|_| None, Some(&path)).unwrap();
        std::fs::remove_file(&path).unwrap();
        let settings = Settings {
            authority_url: Some("http://127.0.0.1:9".into()),
            base_url: Some("http://127.0.0.1:9".into()),
            ..crate::settings::tests::plain()
        };
        let failure = connect_with(&settings, credentials).unwrap_err();
        assert_eq!(failure.exit, Exit::Usage, "{failure}");
        assert!(failure.message.contains("is gone"), "{failure}");
        drop(dir);
    }
}

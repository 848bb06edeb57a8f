//! Credentials from the environment (never from flags: flags leak into shell history
//! and `ps`).

use crate::api::{Credentials, Failure};

/// `PARTNER_CENTER_ACCESS_TOKEN`: a bearer token used as is.
pub const ACCESS_TOKEN: &str = "PARTNER_CENTER_ACCESS_TOKEN";
/// `PARTNER_CENTER_TENANT_ID`.
pub const TENANT_ID: &str = "PARTNER_CENTER_TENANT_ID";
/// `PARTNER_CENTER_CLIENT_ID`.
pub const CLIENT_ID: &str = "PARTNER_CENTER_CLIENT_ID";
/// `PARTNER_CENTER_CLIENT_SECRET`.
pub const CLIENT_SECRET: &str = "PARTNER_CENTER_CLIENT_SECRET";

/// The credentials a command that needs the API uses: the access token, then the three
/// client-credential variables; the first complete set wins. An empty variable counts
/// as unset. No complete set is exit 2, naming the variables, or what an incomplete set
/// lacks.
pub fn credentials(env: impl Fn(&str) -> Option<String>) -> Result<Credentials, Failure> {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if let Some(token) = var(ACCESS_TOKEN) {
        return Ok(Credentials::access_token(token.trim().to_owned()));
    }
    let set = [TENANT_ID, CLIENT_ID, CLIENT_SECRET].map(|name| (name, var(name)));
    if let [(_, Some(tenant)), (_, Some(client_id)), (_, Some(secret))] = set {
        return Ok(Credentials::client_credentials(
            tenant.trim().to_owned(),
            client_id.trim().to_owned(),
            secret,
        ));
    }
    let given: Vec<&str> = set
        .iter()
        .filter(|(_, value)| value.is_some())
        .map(|(name, _)| *name)
        .collect();
    let missing: Vec<&str> = set
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    if given.is_empty() {
        return Err(Failure::usage(format!(
            "no credentials: set {ACCESS_TOKEN} to a bearer token, or {TENANT_ID}, \
             {CLIENT_ID} and {CLIENT_SECRET} for app-only access; nothing was sent"
        )));
    }
    Err(Failure::usage(format!(
        "incomplete client credentials: {} {} set but {} {} missing; set all three, or \
         {ACCESS_TOKEN}; nothing was sent",
        given.join(" and "),
        if given.len() == 1 { "is" } else { "are" },
        missing.join(" and "),
        if missing.len() == 1 { "is" } else { "are" },
    )))
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
        let token = credentials(env(&[(ACCESS_TOKEN, "t"), (CLIENT_ID, "c")])).unwrap();
        assert!(matches!(token, Credentials::AccessToken(_)));
        let app = credentials(env(&[
            (TENANT_ID, "t"),
            (CLIENT_ID, "c"),
            (CLIENT_SECRET, "s3cret"),
            (ACCESS_TOKEN, " "),
        ]))
        .unwrap();
        assert!(matches!(app, Credentials::ClientCredentials { .. }));
        assert!(!format!("{app:?}").contains("s3cret"));
    }

    #[test]
    fn missing_and_incomplete_sets_say_what_lacks() {
        let none = credentials(env(&[])).unwrap_err();
        assert!(none.message.starts_with("no credentials"), "{none}");
        let partial = credentials(env(&[(CLIENT_ID, "c"), (TENANT_ID, "t")])).unwrap_err();
        assert_eq!(
            partial.message,
            "incomplete client credentials: PARTNER_CENTER_TENANT_ID and \
             PARTNER_CENTER_CLIENT_ID are set but PARTNER_CENTER_CLIENT_SECRET is missing; \
             set all three, or PARTNER_CENTER_ACCESS_TOKEN; nothing was sent"
        );
    }
}

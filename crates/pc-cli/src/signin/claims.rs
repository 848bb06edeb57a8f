//! What a bearer token says about itself, read for `pc`'s own records (never trusted
//! for a decision the service makes): the tenant it was issued in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The `tid` claim of a JSON Web Token (the tenant that issued it), when the token is
/// one and its payload says it; `None` for anything else.
pub fn tenant_of(token: &str) -> Option<String> {
    let payload = token.trim().split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("tid")?
        .as_str()
        .map(str::trim)
        .filter(|tid| !tid.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &str) -> String {
        format!(
            "{}.{}.signature",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.as_bytes())
        )
    }

    #[test]
    fn the_tenant_is_the_tid_claim_of_a_jwt() {
        assert_eq!(
            tenant_of(&token(
                r#"{"aud":"x","tid":"9a3f1c52-2b4e-4d0a-8c6e-3f1b2a4d5e6f"}"#
            ))
            .as_deref(),
            Some("9a3f1c52-2b4e-4d0a-8c6e-3f1b2a4d5e6f")
        );
        // Padding kept by some issuers is accepted.
        assert!(tenant_of(&format!("{}==", token(r#"{"tid":"t"}"#))).is_some());
    }

    #[test]
    fn anything_else_has_no_tenant() {
        for token in [
            "opaque-token".to_owned(),
            "a.b.c".to_owned(),
            token(r#"{"aud":"x"}"#),
            token(r#"{"tid":7}"#),
            token(r#"{"tid":"  "}"#),
            token("not json"),
        ] {
            assert_eq!(tenant_of(&token), None, "{token}");
        }
    }
}

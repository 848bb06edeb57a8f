//! Strict mode ([`SimConfig::strict`](crate::SimConfig::strict)): the request checks a
//! careful client always passes and the real service may enforce. The paging and
//! `MS-RequestId` checks live with the store, which knows the collections and the
//! answers kept.

use crate::answer::Answer;
use axum::http::{HeaderMap, header};

/// Whether a header value lists `wanted` as a media type, its parameters ignored.
fn lists_media_type(value: &str, wanted: &str) -> bool {
    value.split(',').any(|range| {
        range
            .split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(wanted))
    })
}

/// Checks one GUID header: present, not empty, a GUID.
fn check_guid(headers: &HeaderMap, name: &str) -> Result<(), Answer> {
    let Some(value) = headers.get(name) else {
        return Err(Answer::bad_request(format!(
            "the {name} header is missing: send a GUID"
        )));
    };
    let text = value.to_str().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(Answer::bad_request(format!(
            "the {name} header is empty: send a GUID"
        )));
    }
    uuid::Uuid::try_parse(text)
        .map(drop)
        .map_err(|_| Answer::bad_request(format!("the {name} header {text:?} is not a GUID")))
}

/// Checks the headers of an API request (not the token endpoint's): `Accept` lists
/// `application/json`; `MS-RequestId` and `MS-CorrelationId` are GUIDs; a body is
/// `application/json`. The first failure is answered `400`.
pub(crate) fn check_headers(headers: &HeaderMap, body: &[u8]) -> Result<(), Answer> {
    let accepts_json = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| lists_media_type(value, "application/json"));
    if !accepts_json {
        return Err(Answer::bad_request(
            "the Accept header does not list application/json",
        ));
    }
    check_guid(headers, "MS-RequestId")?;
    check_guid(headers, "MS-CorrelationId")?;
    if !body.is_empty() {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let is_json = content_type.is_some_and(|value| {
            !value.contains(',') && lists_media_type(value, "application/json")
        });
        if !is_json {
            return Err(Answer::bad_request(format!(
                "the request body's Content-Type is {}, not application/json",
                content_type.map_or_else(|| "missing".to_owned(), |value| format!("{value:?}"))
            )));
        }
    }
    Ok(())
}

/// Whether a query string holds `seekOperation=Next` (name and value in any case), the
/// query of the simulator's own `links.next`.
pub(crate) fn has_seek_next(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| {
            pair.split_once('=').is_some_and(|(name, value)| {
                name.eq_ignore_ascii_case("seekOperation") && value.eq_ignore_ascii_case("Next")
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    const GOOD: [(&str, &str); 3] = [
        ("accept", "application/json"),
        ("ms-requestid", "a4f9d2c1-0b5e-4c7a-8e3f-6d2b1a0c9e87"),
        ("ms-correlationid", "de894e18-f027-4ac0-8b5a-34f0c222af0c"),
    ];

    fn check(extra: &[(&'static str, &'static str)], body: &[u8]) -> Result<(), String> {
        let mut pairs: Vec<_> = GOOD
            .iter()
            .filter(|(name, _)| !extra.iter().any(|(other, _)| other == name))
            .copied()
            .collect();
        pairs.extend_from_slice(extra);
        check_headers(&headers(&pairs), body).map_err(|answer| {
            serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap()["description"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    }

    #[test]
    fn a_careful_request_passes() {
        assert_eq!(check(&[], b""), Ok(()));
        assert_eq!(
            check(
                &[
                    ("accept", "text/plain, Application/JSON; q=0.9"),
                    ("content-type", "application/json; charset=utf-8")
                ],
                b"{}"
            ),
            Ok(())
        );
    }

    #[test]
    fn each_careless_header_is_named() {
        for (extra, body, expected) in [
            (("accept", "*/*"), &b""[..], "Accept"),
            (("accept", "application/jsonp"), b"", "Accept"),
            (("ms-requestid", " "), b"", "MS-RequestId header is empty"),
            (
                ("ms-requestid", "42"),
                b"",
                "MS-RequestId header \"42\" is not a GUID",
            ),
            (("ms-correlationid", "x"), b"", "MS-CorrelationId"),
            (
                ("content-type", "text/json"),
                b"{}",
                "Content-Type is \"text/json\"",
            ),
        ] {
            let error = check(&[extra], body).unwrap_err();
            assert!(error.contains(expected), "{extra:?}: {error}");
        }
        let mut missing = HeaderMap::new();
        missing.insert("accept", HeaderValue::from_static("application/json"));
        let error = check_headers(&missing, b"").unwrap_err();
        assert!(String::from_utf8_lossy(&error.body).contains("MS-RequestId header is missing"));
        let error = check(&[], b"{}").unwrap_err();
        assert!(error.contains("Content-Type is missing"), "{error}");
    }

    #[test]
    fn the_seek_query_is_found_among_others() {
        assert!(has_seek_next(Some("seekOperation=Next")));
        assert!(has_seek_next(Some("a=1&seekoperation=next")));
        assert!(!has_seek_next(Some("seekOperation=Previous")));
        assert!(!has_seek_next(None));
    }
}

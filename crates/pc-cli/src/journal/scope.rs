//! Base URLs as the journal's Scope compares and names them.
//!
//! `pc` never sends a request to a URL read from the journal: a recorded base URL is
//! only compared with the configured one, and named in a message only when naming it
//! tells nothing private (a cloud's API host, or this machine).

use std::fmt;
use std::net::IpAddr;

use pc_http::Cloud;

/// What a message says for a base URL it does not name.
pub const ANOTHER_BASE_URL: &str = "another base URL";

/// A base URL with scheme and host in lower case, the port always given, and the path
/// without a trailing slash.
#[derive(Debug, PartialEq, Eq)]
struct Canonical {
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
}

impl Canonical {
    fn parse(url: &str) -> Option<Self> {
        let uri: http::Uri = url.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri.port_u16().or_else(|| default_port(&scheme));
        let mut path = uri.path().trim_end_matches('/').to_owned();
        if let Some(query) = uri.query() {
            path.push('?');
            path.push_str(query);
        }
        Some(Self {
            scheme,
            host,
            port,
            path,
        })
    }
}

/// Written as a base URL: the default port left out.
impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if let Some(port) = self
            .port
            .filter(|port| Some(*port) != default_port(&self.scheme))
        {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path)
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// Whether two base URLs are the same: scheme and host compared case-insensitively,
/// the default port made explicit, a trailing slash ignored (the path itself is
/// compared as written). Text that is not a URL equals only the same text.
pub fn same_base_url(one: &str, other: &str) -> bool {
    match (Canonical::parse(one), Canonical::parse(other)) {
        (Some(one), Some(other)) => one == other,
        (None, None) => one.trim().trim_end_matches('/') == other.trim().trim_end_matches('/'),
        _ => false,
    }
}

/// How a message names a recorded base URL: the URL itself only when it is `https://`
/// on an API host of a cloud `pc` knows, or on a loopback address; otherwise
/// [`ANOTHER_BASE_URL`].
pub fn name_base_url(url: &str) -> String {
    let Some(url) = Canonical::parse(url) else {
        return ANOTHER_BASE_URL.to_owned();
    };
    let on_a_cloud = url.scheme == "https"
        && Cloud::ALL.iter().any(|cloud| {
            Canonical::parse(cloud.api_base()).is_some_and(|api| api.host == url.host)
        });
    let on_this_machine = matches!(url.scheme.as_str(), "https" | "http") && is_loopback(&url.host);
    if on_a_cloud || on_this_machine {
        url.to_string()
    } else {
        ANOTHER_BASE_URL.to_owned()
    }
}

/// `localhost`, `127.0.0.0/8` or `::1` (with or without brackets).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_compare_by_scheme_host_port_and_path() {
        let same = [
            (
                "https://api.partnercenter.microsoft.com",
                "https://api.partnercenter.microsoft.com",
            ),
            (
                "https://api.partnercenter.microsoft.com",
                "HTTPS://API.PartnerCenter.Microsoft.com/",
            ),
            (
                "https://api.partnercenter.microsoft.com",
                "https://api.partnercenter.microsoft.com:443",
            ),
            (
                "https://api.partnercenter.microsoft.com:443/",
                " https://api.partnercenter.microsoft.com ",
            ),
            ("http://localhost", "http://LOCALHOST:80/"),
            ("http://127.0.0.1:8080/pc", "http://127.0.0.1:8080/pc/"),
            ("http://[::1]:3000", "http://[::1]:3000//"),
            ("not a url", "not a url/"),
        ];
        for (one, other) in same {
            assert!(same_base_url(one, other), "{one} = {other}");
            assert!(same_base_url(other, one), "{other} = {one}");
        }
        let different = [
            (
                "https://api.partnercenter.microsoft.com",
                "http://api.partnercenter.microsoft.com",
            ),
            (
                "https://api.partnercenter.microsoft.com",
                "https://api.partnercenter.microsoft.com:8443",
            ),
            (
                "https://api.partnercenter.microsoft.com",
                "https://partner.partnercenterapi.microsoftonline.cn",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8081"),
            ("http://127.0.0.1:8080", "http://localhost:8080"),
            ("http://127.0.0.1:8080/pc", "http://127.0.0.1:8080/PC"),
            ("http://127.0.0.1:8080/pc", "http://127.0.0.1:8080"),
            ("https://h.invalid", "not a url"),
            ("not a url", "another text"),
        ];
        for (one, other) in different {
            assert!(!same_base_url(one, other), "{one} != {other}");
            assert!(!same_base_url(other, one), "{other} != {one}");
        }
    }

    #[test]
    fn only_a_clouds_api_host_or_this_machine_is_named() {
        let named = [
            (
                "https://api.partnercenter.microsoft.com",
                "https://api.partnercenter.microsoft.com",
            ),
            (
                "HTTPS://API.partnercenter.microsoft.com:443/",
                "https://api.partnercenter.microsoft.com",
            ),
            (
                "https://partner.partnercenterapi.microsoftonline.cn",
                "https://partner.partnercenterapi.microsoftonline.cn",
            ),
            (
                "https://api.partnercenter.microsoft.com:8443/beta",
                "https://api.partnercenter.microsoft.com:8443/beta",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("http://localhost:3000/pc", "http://localhost:3000/pc"),
            ("https://[::1]:3000", "https://[::1]:3000"),
        ];
        for (url, name) in named {
            assert_eq!(name_base_url(url), name, "{url}");
        }
        for url in [
            "http://api.partnercenter.microsoft.com",
            "https://proxy.contoso.example",
            "https://api.partnercenter.microsoft.com.evil.example",
            "https://login.microsoftonline.com",
            "http://10.0.0.1:8080",
            "ftp://localhost",
            "not a url",
            "",
        ] {
            assert_eq!(name_base_url(url), ANOTHER_BASE_URL, "{url}");
        }
    }
}

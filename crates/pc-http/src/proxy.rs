//! Proxy selection shared by both backends: `HTTPS_PROXY`/`ALL_PROXY` and `NO_PROXY`,
//! with loopback hosts always direct.
//!
//! Only `https://` requests can go through a proxy: plain `http://` is allowed only to
//! loopback hosts, which are always reached directly, so `HTTP_PROXY` never applies.
//! The proxy itself is spoken to in plain HTTP (`CONNECT`), optionally with
//! `user:password@` (basic authentication).

use std::fmt;
use std::net::IpAddr;

use crate::Secret;

/// Which proxy the backends use.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxyOptions {
    /// Read `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` (first set wins) and
    /// `no_proxy`/`NO_PROXY` once, when the transport is built. The default.
    #[default]
    FromEnvironment,
    /// Always connect directly.
    Direct,
    /// Use this proxy URL (`http://[user:password@]host:port`) except for the hosts in
    /// `no_proxy` (the `NO_PROXY` syntax).
    Url {
        /// The proxy URL; a secret because it may carry a password.
        url: Secret,
        /// A comma list of hosts, domain suffixes, IPs, CIDR ranges, or `*`.
        no_proxy: String,
    },
}

impl fmt::Debug for ProxyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromEnvironment => f.write_str("FromEnvironment"),
            Self::Direct => f.write_str("Direct"),
            Self::Url { url, no_proxy } => f
                .debug_struct("Url")
                .field("url", &redact_url(url.expose()))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

/// The proxy URL with any `user:password@` replaced by `[redacted]@`.
///
/// Everything from the start of the authority (after a `scheme://` that comes before
/// the first `@`) to the last `@` is hidden, so a password holding `@`, `/`, `:` or
/// `://` never shows, whatever the URL's shape; at worst a path is hidden too.
pub(crate) fn redact_url(url: &str) -> String {
    let (Some(first_at), Some(last_at)) = (url.find('@'), url.rfind('@')) else {
        return url.to_owned();
    };
    // Only a real scheme (a letter, then letters, digits, `+`, `-`, `.`) ends at the
    // first `://`; one inside the credentials is part of them.
    let is_scheme = |text: &str| {
        text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    let start = match url.find("://") {
        Some(scheme_end) if scheme_end < first_at && is_scheme(&url[..scheme_end]) => {
            scheme_end + 3
        }
        _ => 0,
    };
    format!("{}[redacted]@{}", &url[..start], &url[last_at + 1..])
}

/// The proxy and no-proxy list the environment names, read through `lookup`:
/// `https_proxy`, then `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` (the first set and not
/// blank wins), and `no_proxy`, then `NO_PROXY`.
#[cfg_attr(not(any(feature = "ureq", feature = "reqwest")), allow(dead_code))]
pub(crate) fn from_environment(
    lookup: impl Fn(&str) -> Option<String>,
) -> (Option<Secret>, String) {
    let first = |names: &[&str]| {
        names
            .iter()
            .filter_map(|name| lookup(name))
            .map(|value| value.trim().to_owned())
            .find(|value| !value.is_empty())
    };
    (
        first(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]).map(Secret::new),
        first(&["no_proxy", "NO_PROXY"]).unwrap_or_default(),
    )
}

#[cfg(any(feature = "ureq", feature = "reqwest"))]
pub(crate) use plan::ProxyPlan;

/// The plan a backend follows; without a backend nothing needs one.
#[cfg(any(feature = "ureq", feature = "reqwest"))]
mod plan {
    use std::fmt;

    use http::Uri;

    use super::{NoProxy, ProxyOptions, redact_url};
    use crate::endpoint::is_loopback_host;
    use crate::{Error, Secret};

    /// The proxy decision made once per transport.
    #[derive(Clone, Default)]
    pub(crate) struct ProxyPlan {
        /// The proxy URL, normalised to `http://...`.
        pub(crate) url: Option<Secret>,
        no_proxy: NoProxy,
    }

    impl fmt::Debug for ProxyPlan {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ProxyPlan")
                .field("url", &self.url.as_ref().map(|u| redact_url(u.expose())))
                .finish_non_exhaustive()
        }
    }

    impl ProxyPlan {
        pub(crate) fn new(options: &ProxyOptions) -> Result<Self, Error> {
            let (url, no_proxy) = match options {
                ProxyOptions::Direct => return Ok(Self::default()),
                ProxyOptions::FromEnvironment => {
                    super::from_environment(|name| std::env::var(name).ok())
                }
                ProxyOptions::Url { url, no_proxy } => (Some(url.clone()), no_proxy.clone()),
            };
            let url = match url {
                None => None,
                Some(url) => Some(normalise_proxy_url(&url)?),
            };
            Ok(Self {
                url,
                no_proxy: NoProxy::parse(&no_proxy),
            })
        }

        /// The proxy for `uri`, or `None` to connect directly.
        pub(crate) fn proxy_for(&self, uri: &Uri) -> Option<&Secret> {
            let url = self.url.as_ref()?;
            let host = uri.host()?;
            if is_loopback_host(host)
                || uri.scheme_str() != Some("https")
                || self.no_proxy.matches(host)
            {
                return None;
            }
            Some(url)
        }
    }

    fn normalise_proxy_url(url: &Secret) -> Result<Secret, Error> {
        let text = url.expose();
        let full = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let parsed: Uri = full.parse().map_err(|_| {
            Error::config(format!("the proxy URL {} is not a URL", redact_url(text)))
        })?;
        if parsed.scheme_str().map(str::to_ascii_lowercase).as_deref() != Some("http") {
            return Err(Error::config(format!(
                "the proxy URL {} must start with http:// (only HTTP proxies are supported)",
                redact_url(text)
            )));
        }
        if parsed.host().is_none_or(str::is_empty) {
            return Err(Error::config(format!(
                "the proxy URL {} has no host",
                redact_url(text)
            )));
        }
        Ok(Secret::new(full))
    }
}

/// A parsed `NO_PROXY` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    entries: Vec<NoProxyEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxyEntry {
    Domain(String),
    Ip(IpAddr),
    Cidr(IpAddr, u8),
}

impl NoProxy {
    /// Parses a comma list of hosts, domain suffixes (`example.com` or `.example.com`
    /// match the domain and its subdomains), IPs, CIDR ranges, or `*` (everything).
    pub fn parse(list: &str) -> Self {
        let mut out = Self::default();
        for raw in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if raw == "*" {
                out.all = true;
                continue;
            }
            if let Some((ip, bits)) = raw.split_once('/')
                && let (Ok(ip), Ok(bits)) = (ip.parse::<IpAddr>(), bits.parse::<u8>())
            {
                out.entries.push(NoProxyEntry::Cidr(ip, bits));
                continue;
            }
            let bare = raw.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                out.entries.push(NoProxyEntry::Ip(ip));
                continue;
            }
            // `host:port`: the port is ignored.
            let host = raw.rsplit_once(':').map_or(raw, |(h, _)| h);
            let host = host.trim_start_matches("*.").trim_start_matches('.');
            out.entries
                .push(NoProxyEntry::Domain(host.to_ascii_lowercase()));
        }
        out
    }

    /// Whether `host` (a name or an IP, brackets allowed) goes direct.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|entry| match (entry, ip) {
            (NoProxyEntry::Domain(d), _) => {
                host == *d
                    || (host.len() > d.len()
                        && host.ends_with(d.as_str())
                        && host[..host.len() - d.len()].ends_with('.'))
            }
            (NoProxyEntry::Ip(a), Some(b)) => *a == b,
            (NoProxyEntry::Cidr(net, bits), Some(ip)) => in_cidr(ip, *net, *bits),
            _ => false,
        })
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let bits = u32::from(bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let bits = u32::from(bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    include!("../../test-support/proptest_cases.rs");

    #[test]
    fn the_lower_case_variable_wins_then_https_then_all() {
        let names = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
        // With the first `k` unset (or blank), the next one wins.
        for k in 0..names.len() {
            for blank in ["", " "] {
                let mut set: HashMap<&str, String> = names
                    .iter()
                    .map(|name| (*name, format!("http://{name}.invalid:3128")))
                    .collect();
                for name in &names[..k] {
                    set.insert(name, blank.to_owned());
                }
                let (url, _) = from_environment(|name| set.get(name).cloned());
                assert_eq!(
                    url.map(|url| url.expose().to_owned()),
                    Some(format!("http://{}.invalid:3128", names[k])),
                    "{k} unset"
                );
            }
        }
        let set: HashMap<&str, &str> =
            [("no_proxy", "lower.invalid"), ("NO_PROXY", "upper.invalid")]
                .into_iter()
                .collect();
        let (url, no_proxy) = from_environment(|name| set.get(name).map(|v| (*v).to_owned()));
        assert!(url.is_none());
        assert_eq!(no_proxy, "lower.invalid");
        let (_, no_proxy) =
            from_environment(|name| (name == "NO_PROXY").then(|| "[::1],10.0.0.0/8".to_owned()));
        assert_eq!(no_proxy, "[::1],10.0.0.0/8");
    }

    #[test]
    fn no_proxy_matches_ipv6_addresses_and_ranges() {
        let np = NoProxy::parse("[2001:db8::1], fd00::/8, ::ffff:10.0.0.0/104, 2001:db8:1::/48");
        for host in [
            "[2001:db8::1]",
            "2001:db8::1",
            "fd12::5",
            "[fdff:ffff::1]",
            "2001:db8:1:ffff::1",
        ] {
            assert!(np.matches(host), "{host}");
        }
        for host in [
            "2001:db8::2",
            "fe00::1",
            "2001:db8:2::1",
            "10.0.0.1",
            "[::1]",
        ] {
            assert!(!np.matches(host), "{host}");
        }
    }

    proptest! {
        #![proptest_config(cases(10_000))]

        #[test]
        fn redact_url_never_prints_the_password(
            scheme in prop::option::of(prop::sample::select(vec!["http://", "https://", "socks5://", "HTTP://"])),
            user in "[a-zA-Z0-9._%-]{0,8}",
            password in "[a-zA-Z0-9@/:?#%!$&'()*+,;=._~\\-]{0,12}",
            host in prop::sample::select(vec!["proxy.invalid", "127.0.0.1", "[::1]", "proxy.invalid:3128", ""]),
            tail in prop::sample::select(vec!["", "/", "/path", "/x://y", "?q=1", "#f", "/a@b"]),
        ) {
            let secret = format!("Pw0RD{password}");
            let url = format!("{}{user}:{secret}@{host}{tail}", scheme.unwrap_or(""));
            let shown = redact_url(&url);
            prop_assert!(!shown.contains("Pw0RD"), "{:?} shown as {:?}", url, shown);
            prop_assert!(shown.contains("[redacted]@"), "{:?}", shown);
            // A URL without credentials is shown as it is.
            let plain = format!("{}{host}/path", scheme.unwrap_or(""));
            prop_assert_eq!(redact_url(&plain), plain);
        }
    }

    #[test]
    fn a_scheme_inside_the_credentials_is_not_taken_for_the_url_scheme() {
        let shown = redact_url(":Pw0RD://@proxy.invalid");
        assert_eq!(shown, "[redacted]@proxy.invalid");
        assert_eq!(
            redact_url("http://user:pa55://x@proxy.invalid:3128"),
            "http://[redacted]@proxy.invalid:3128"
        );
        // A user name is not a scheme either, though it starts with a letter.
        assert_eq!(
            redact_url("user:Pw0RD://x@proxy.invalid"),
            "[redacted]@proxy.invalid"
        );
    }

    #[test]
    fn proxy_options_and_plans_debug_without_the_password() {
        let options = ProxyOptions::Url {
            url: Secret::new("http://user:pa55@proxy.invalid:3128"),
            no_proxy: ".corp.invalid".into(),
        };
        assert_eq!(
            format!("{options:?}"),
            r#"Url { url: "http://[redacted]@proxy.invalid:3128", no_proxy: ".corp.invalid" }"#
        );
        assert_eq!(format!("{:?}", ProxyOptions::Direct), "Direct");
        assert_eq!(
            format!("{:?}", ProxyOptions::FromEnvironment),
            "FromEnvironment"
        );
    }

    #[test]
    fn no_proxy_matching() {
        let np = NoProxy::parse(
            " example.com, .corp.invalid,10.0.0.0/8, 192.168.1.5 ,[::2], host.invalid:8080 ",
        );
        for host in [
            "example.com",
            "api.example.com",
            "a.corp.invalid",
            "corp.invalid",
            "10.1.2.3",
            "192.168.1.5",
            "[::2]",
            "host.invalid",
        ] {
            assert!(np.matches(host), "{host}");
        }
        for host in [
            "notexample.com",
            "example.com.evil.invalid",
            "11.0.0.1",
            "192.168.1.6",
            "::3",
        ] {
            assert!(!np.matches(host), "{host}");
        }
        assert!(NoProxy::parse("*").matches("anything.invalid"));
        assert!(!NoProxy::parse("").matches("anything.invalid"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("8.8.8.8"));
    }

    #[cfg(any(feature = "ureq", feature = "reqwest"))]
    #[test]
    fn a_plan_debugs_its_proxy_without_the_password() {
        let plan = ProxyPlan::new(&ProxyOptions::Url {
            url: Secret::new("http://user:pa55@proxy.invalid:3128"),
            no_proxy: String::new(),
        })
        .unwrap();
        assert_eq!(
            format!("{plan:?}"),
            r#"ProxyPlan { url: Some("http://[redacted]@proxy.invalid:3128"), .. }"#
        );
    }

    #[cfg(any(feature = "ureq", feature = "reqwest"))]
    #[test]
    fn plan_keeps_loopback_and_http_direct() {
        let plan = ProxyPlan::new(&ProxyOptions::Url {
            url: Secret::new("proxy.invalid:3128"),
            no_proxy: "skip.invalid".into(),
        })
        .unwrap();
        let via = |u: &str| {
            plan.proxy_for(&u.parse().unwrap())
                .map(|s| s.expose().to_owned())
        };
        assert_eq!(
            via("https://api.invalid/v1").as_deref(),
            Some("http://proxy.invalid:3128")
        );
        assert_eq!(via("https://skip.invalid/v1"), None);
        assert_eq!(via("https://localhost/v1"), None);
        assert_eq!(via("https://127.0.0.1/v1"), None);
        assert_eq!(via("http://127.0.0.1/v1"), None);
    }

    #[cfg(any(feature = "ureq", feature = "reqwest"))]
    #[test]
    fn bad_proxy_urls_are_config_errors_without_the_password() {
        let err = ProxyPlan::new(&ProxyOptions::Url {
            url: Secret::new("socks5://user:pa55@proxy.invalid:1080"),
            no_proxy: String::new(),
        })
        .unwrap_err();
        assert!(err.kind() == crate::ErrorKind::Config);
        assert!(!err.to_string().contains("pa55"), "{err}");
        assert!(!format!("{err:?}").contains("pa55"), "{err:?}");
        let opts = ProxyOptions::Url {
            url: Secret::new("http://user:pa55@proxy.invalid:3128"),
            no_proxy: String::new(),
        };
        assert!(!format!("{opts:?}").contains("pa55"));
    }
}

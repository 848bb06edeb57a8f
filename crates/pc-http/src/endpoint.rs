//! Where requests go: the clouds, base URLs, and the plain-http-only-to-loopback rule.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use crate::Error;

/// The resource every Partner Center token is issued for.
pub const PARTNER_CENTER_RESOURCE: &str = "https://api.partnercenter.microsoft.com";

/// A Partner Center cloud: picks the API base URL and the token authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cloud {
    /// The global cloud (the default).
    #[default]
    Global,
    /// Microsoft Cloud Germany.
    Germany,
    /// US Government.
    UsGov,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud, in the order of the spec's table.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::Germany, Cloud::UsGov, Cloud::China];

    /// The API base URL (`https://api.partnercenter.microsoft.com`).
    pub fn api_base(self) -> &'static str {
        match self {
            Cloud::Global | Cloud::Germany | Cloud::UsGov => {
                "https://api.partnercenter.microsoft.com"
            }
            Cloud::China => "https://partner.partnercenterapi.microsoftonline.cn",
        }
    }

    /// The token authority (`https://login.microsoftonline.com`).
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::Germany => "https://login.microsoftonline.de",
            Cloud::UsGov => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The API base as a [`BaseUrl`].
    pub fn base_url(self) -> BaseUrl {
        BaseUrl::from_static(self.api_base())
    }

    /// The name used on the command line (`global`, `germany`, `usgov`, `china`).
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Germany => "germany",
            Cloud::UsGov => "usgov",
            Cloud::China => "china",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::config(format!(
                    "unknown cloud {s:?}: expected one of global, germany, usgov, china"
                ))
            })
    }
}

/// A validated base URL: `https://host[:port][/prefix]`, or `http://` to a loopback host.
///
/// Request paths (`/v1/customers/...`) are appended to it, prefix included.
///
/// ```
/// use pc_http::BaseUrl;
///
/// let base: BaseUrl = "http://127.0.0.1:8080/pc".parse()?;
/// assert_eq!(base.join("/v1/customers")?.to_string(), "http://127.0.0.1:8080/pc/v1/customers");
/// assert!("http://api.partnercenter.microsoft.com".parse::<BaseUrl>().is_err());
/// # Ok::<(), pc_http::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    scheme: String,
    authority: String,
    prefix: String,
}

impl BaseUrl {
    /// Parses and checks a base URL; an error is [`Error::Config`].
    pub fn parse(url: &str) -> Result<Self, Error> {
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e| Error::config(format!("{url:?} is not a URL: {e}")))?;
        check_uri(&uri).map_err(Error::Config)?;
        let authority = uri
            .authority()
            .ok_or_else(|| Error::config(format!("{url:?} has no host")))?;
        if authority.as_str().contains('@') {
            return Err(Error::config(format!(
                "the URL for host {} must not carry user credentials",
                authority.host()
            )));
        }
        if uri.query().is_some() {
            return Err(Error::config(format!(
                "{url:?} must not have a query string"
            )));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Self {
            scheme: uri.scheme_str().unwrap_or("https").to_ascii_lowercase(),
            authority: authority.as_str().to_ascii_lowercase(),
            prefix,
        })
    }

    fn from_static(url: &'static str) -> Self {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        Self {
            scheme: scheme.to_owned(),
            authority: rest.to_owned(),
            prefix: String::new(),
        }
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]`.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path prefix without a trailing slash (often empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Resolves a request URI against this base.
    ///
    /// A path (`/v1/...`, query allowed) is appended to the prefix. An absolute URI is
    /// accepted only when it has this base's scheme and host, so credentials never go
    /// to another host.
    pub fn join(&self, target: &str) -> Result<Uri, Error> {
        let uri: Uri = target
            .parse()
            .map_err(|e| Error::config(format!("{target:?} is not a valid request path: {e}")))?;
        if uri.scheme().is_some() {
            let same = uri
                .scheme_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&self.scheme))
                && uri
                    .authority()
                    .is_some_and(|a| a.as_str().eq_ignore_ascii_case(&self.authority));
            if !same {
                return Err(Error::config(format!(
                    "the request for {}{} is not on the configured base URL {self}",
                    uri.host().unwrap_or_default(),
                    uri.path()
                )));
            }
            return Ok(uri);
        }
        let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if !pq.starts_with('/') {
            return Err(Error::config(format!(
                "the request path {target:?} must start with '/'"
            )));
        }
        format!("{}://{}{}{}", self.scheme, self.authority, self.prefix, pq)
            .parse()
            .map_err(|e| Error::config(format!("{target:?} is not a valid request path: {e}")))
    }
}

/// A [`BaseUrl`] with its scheme and authority parsed once, so that joining a path-only
/// request URI (every call) moves its parts instead of printing and re-parsing it.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    base: BaseUrl,
    scheme: Scheme,
    authority: Authority,
}

impl Resolver {
    pub(crate) fn new(base: BaseUrl) -> Result<Self, Error> {
        let invalid = |e: &dyn fmt::Display| Error::config(format!("{base} is not a URL: {e}"));
        let scheme = Scheme::from_str(&base.scheme).map_err(|e| invalid(&e))?;
        let authority = Authority::from_str(&base.authority).map_err(|e| invalid(&e))?;
        Ok(Self {
            base,
            scheme,
            authority,
        })
    }

    /// The base URL.
    pub(crate) fn base(&self) -> &BaseUrl {
        &self.base
    }

    /// [`BaseUrl::join`] for an already parsed URI, with the same results and errors.
    pub(crate) fn join(&self, uri: Uri) -> Result<Uri, Error> {
        if uri.scheme().is_some() || uri.authority().is_some() {
            return self.base.join(&uri.to_string());
        }
        let mut parts = uri.into_parts();
        let pq = parts
            .path_and_query
            .take()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let target = pq.as_str();
        if !target.starts_with('/') {
            return Err(Error::config(format!(
                "the request path {target:?} must start with '/'"
            )));
        }
        let invalid = |target: &str, e: &dyn fmt::Display| {
            Error::config(format!("{target:?} is not a valid request path: {e}"))
        };
        let pq = if self.base.prefix.is_empty() {
            pq
        } else {
            PathAndQuery::try_from(format!("{}{target}", self.base.prefix))
                .map_err(|e| invalid(target, &e))?
        };
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(pq);
        // Scheme, authority and path are all set, which is all `from_parts` asks.
        Uri::from_parts(parts)
            .map_err(|e| Error::config(format!("the request URI cannot be built: {e}")))
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        Cloud::Global.base_url()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl FromStr for BaseUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// Whether `host` is a loopback host: `localhost`, `127.0.0.0/8` or `::1`
/// (with or without brackets).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks the transport rule for one absolute URI: `https`, or `http` to a loopback host.
///
/// Returns a message for people on failure. Both backends call it before sending.
pub(crate) fn check_uri(uri: &Uri) -> Result<(), String> {
    let host = uri
        .host()
        .ok_or_else(|| format!("the URL {uri} has no host"))?;
    // Compared without changing case, so that checking a URI allocates nothing.
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Ok(()),
        Some(s) if s.eq_ignore_ascii_case("http") && is_loopback_host(host) => Ok(()),
        Some(s) if s.eq_ignore_ascii_case("http") => Err(format!(
            "plain http is only allowed to loopback hosts (localhost, 127.0.0.0/8, [::1]); use https://{host}"
        )),
        Some(other) => Err(format!(
            "the URL scheme {:?} is not supported: use https",
            other.to_ascii_lowercase()
        )),
        None => Err(format!("the URL for {host} has no scheme: use https://")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "example.invalid",
            "10.0.0.1",
            "128.0.0.1",
            "[::2]",
            "localhost.example",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn base_url_rules() {
        assert!(BaseUrl::parse("https://api.partnercenter.microsoft.com").is_ok());
        assert!(BaseUrl::parse("http://localhost:3000").is_ok());
        assert!(BaseUrl::parse("http://[::1]:3000/x/").is_ok());
        for bad in [
            "http://api.partnercenter.microsoft.com",
            "ftp://localhost",
            "api.partnercenter.microsoft.com",
            "https://user:Pw5ecret@host.invalid",
            "https://host.invalid/?a=b",
            "not a url",
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            assert!(err.kind() == crate::ErrorKind::Config, "{bad}: {err}");
            assert!(!err.to_string().contains("Pw5ecret"), "{err}");
            assert!(!format!("{err:?}").contains("Pw5ecret"), "{err:?}");
        }
    }

    #[test]
    fn join_appends_to_prefix_and_guards_hosts() {
        let base = BaseUrl::parse("https://h.invalid/prefix/").unwrap();
        assert_eq!(
            base.join("/v1/a%20b?x=1").unwrap().to_string(),
            "https://h.invalid/prefix/v1/a%20b?x=1"
        );
        assert_eq!(
            base.join("https://h.invalid/other").unwrap().to_string(),
            "https://h.invalid/other"
        );
        assert!(base.join("https://evil.invalid/v1").is_err());
        assert!(base.join("v1/relative").is_err());
        let global = BaseUrl::default();
        assert_eq!(
            global.join("/v1/customers").unwrap().to_string(),
            "https://api.partnercenter.microsoft.com/v1/customers"
        );
    }

    #[test]
    fn resolver_joins_as_base_url_does() {
        for base in [
            "https://h.invalid/prefix/",
            "http://127.0.0.1:8080",
            "https://api.partnercenter.microsoft.com",
        ] {
            let base = BaseUrl::parse(base).unwrap();
            let resolver = Resolver::new(base.clone()).unwrap();
            for target in [
                "/v1/a%20b?x=1",
                "/",
                "/v1/customers/c/batchJobStatus/t",
                "*",
                "https://h.invalid/other",
                "http://127.0.0.1:8080/v1/x",
                "https://evil.invalid/v1",
                "example.invalid",
            ] {
                let uri: Uri = target.parse().unwrap();
                let expected = base.join(target).map_err(|e| e.to_string());
                let joined = resolver.join(uri).map_err(|e| e.to_string());
                assert_eq!(joined, expected, "{base} + {target}");
            }
        }
        let resolver = Resolver::new(BaseUrl::default()).unwrap();
        assert_eq!(
            resolver.join(Uri::default()).unwrap(),
            "https://api.partnercenter.microsoft.com/"
        );
        // And both give the right answer, not only the same one.
        let prefixed = Resolver::new(BaseUrl::parse("https://h.invalid/prefix/").unwrap()).unwrap();
        let join = |target: &str| {
            prefixed
                .join(target.parse().unwrap())
                .map(|uri| uri.to_string())
        };
        assert_eq!(
            join("/v1/a%20b?x=1").unwrap(),
            "https://h.invalid/prefix/v1/a%20b?x=1"
        );
        assert_eq!(
            join("https://h.invalid/other").unwrap(),
            "https://h.invalid/other"
        );
        assert!(join("https://evil.invalid/v1").is_err());
        // An authority-form target names no path: its host is never contacted.
        assert_eq!(
            join("example.invalid").unwrap(),
            "https://h.invalid/prefix/"
        );
    }

    #[test]
    fn a_base_url_names_its_parts() {
        let base = BaseUrl::parse("http://127.0.0.1:8080/prefix/").unwrap();
        assert_eq!(base.scheme(), "http");
        assert_eq!(base.authority(), "127.0.0.1:8080");
        assert_eq!(base.prefix(), "/prefix");
        let global = BaseUrl::default();
        assert_eq!(global.scheme(), "https");
        assert_eq!(global.authority(), "api.partnercenter.microsoft.com");
        assert_eq!(global.prefix(), "");
        assert_eq!(Resolver::new(base.clone()).unwrap().base(), &base);
        assert_eq!(base.to_string(), "http://127.0.0.1:8080/prefix");
        // Each refusal says why.
        let refusal = |url: &str| check_uri(&url.parse().unwrap()).unwrap_err();
        assert!(refusal("http://example.invalid/x").contains("plain http is only allowed"));
        assert!(refusal("ftp://example.invalid/x").contains("scheme \"ftp\" is not supported"));
        assert!(check_uri(&"HTTP://127.0.0.1/x".parse().unwrap()).is_ok());
        assert_eq!(Cloud::UsGov.to_string(), "usgov");
        assert_eq!(Cloud::Global.to_string(), "global");
    }

    #[test]
    fn clouds_parse_by_name() {
        for c in Cloud::ALL {
            assert_eq!(c.name().parse::<Cloud>().unwrap(), c);
            assert!(c.authority().starts_with("https://login."));
        }
        assert_eq!("USGov".parse::<Cloud>().unwrap(), Cloud::UsGov);
        assert!("mars".parse::<Cloud>().is_err());
    }
}

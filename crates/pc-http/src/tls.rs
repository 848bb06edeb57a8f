//! The one trust decision both backends share: rustls with ring, the bundled web PKI
//! roots, plus any extra roots (a TLS-inspecting corporate proxy's CA).

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::Error;

/// The crypto provider of both backends: ring.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    // rustls 0.23.48 deprecates ring's provider for lacking post-quantum key exchange,
    // nudging towards aws-lc-rs, a long C build this project keeps out on purpose
    // (docs/ARCHITECTURE.md, "One TLS stack"). Classical key exchange is what Partner
    // Center and Azure AD negotiate today.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// The roots both backends trust: the bundled web PKI roots followed by `extra`.
pub fn root_certificates(extra: &[CertificateDer<'static>]) -> Vec<CertificateDer<'static>> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .cloned()
        .chain(extra.iter().cloned())
        .collect()
}

/// A rustls client configuration with ring, [`root_certificates`] and HTTP/1.1 (both
/// backends speak it). Fails when an extra root is not a usable CA certificate.
pub fn client_config(extra: &[CertificateDer<'static>]) -> Result<rustls::ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    for (i, cert) in extra.iter().enumerate() {
        roots.add(cert.clone()).map_err(|e| {
            Error::config(format!(
                "extra root certificate #{} is not usable: {e}",
                i + 1
            ))
        })?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Reads every certificate from PEM text. No certificate at all is an error.
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::config(format!("the PEM certificates cannot be read: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config("the PEM text holds no certificate"));
    }
    Ok(certs)
}

/// Reads every certificate from a PEM file (`--ca-file`). A missing file, or one with no
/// certificate, is [`Error::Config`] naming the file.
pub fn load_pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::config(format!("cannot read the CA file {}: {e}", path.display())))?;
    parse_pem_certificates(&bytes).map_err(|e| match e {
        Error::Config(message) => Error::config(format!("CA file {}: {message}", path.display())),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_roots_make_a_config() {
        assert!(root_certificates(&[]).len() > 100);
        let config = client_config(&[]).unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    }

    #[test]
    fn pem_without_certificates_is_a_config_error() {
        assert!(parse_pem_certificates(b"").unwrap_err().kind() == crate::ErrorKind::Config);
        assert!(parse_pem_certificates(b"hello").unwrap_err().kind() == crate::ErrorKind::Config);
        let missing = load_pem_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
    }

    #[test]
    fn generated_ca_is_accepted() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap();
        let certs = parse_pem_certificates(ca.pem().as_bytes()).unwrap();
        assert_eq!(certs.len(), 1);
        client_config(&certs).unwrap();
    }
}

//! Typed Partner Center device-deployment resources.

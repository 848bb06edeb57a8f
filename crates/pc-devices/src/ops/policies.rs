//! Configuration policies (Autopilot profiles): list, get, create, update, delete.

use http::Method;
use pc_models::{Collection, ConfigurationPolicy, CustomerId, PolicyId};

use super::{
    Operation, check_status, customer_path, json_body, page_request, paged_operation, parse_json,
    parse_optional_json, request,
};
use crate::Error;
use crate::path::encode_segment;

fn policies_path(customer: &CustomerId) -> String {
    format!("{}/policies", customer_path(customer))
}

fn policy_path(customer: &CustomerId, policy: &PolicyId) -> Result<String, Error> {
    Ok(format!(
        "{}/{}",
        policies_path(customer),
        encode_segment("policy id", policy.as_str())?
    ))
}

/// `GET /v1/customers/{customer-id}/policies`: one page of the customer's
/// configuration policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListConfigurationPolicies {
    /// The customer.
    pub customer: CustomerId,
    /// The token of the page to fetch; `None` for the first.
    pub continuation_token: Option<String>,
}

impl ListConfigurationPolicies {
    /// The first page of `customer`'s policies.
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            continuation_token: None,
        }
    }
}

impl Operation for ListConfigurationPolicies {
    type Output = Collection<ConfigurationPolicy>;

    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        page_request(
            &policies_path(&self.customer),
            self.continuation_token.as_deref(),
        )
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(Method::GET, &|| policies_path(&self.customer), &response)
    }
}

paged_operation!(ListConfigurationPolicies, ConfigurationPolicy);

/// `GET /v1/customers/{customer-id}/policies/{policy-id}`: one configuration policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetConfigurationPolicy {
    /// The customer.
    pub customer: CustomerId,
    /// The policy.
    pub policy: PolicyId,
}

impl GetConfigurationPolicy {
    /// The policy `policy` of `customer`.
    pub fn new(customer: CustomerId, policy: PolicyId) -> Self {
        Self { customer, policy }
    }
}

impl Operation for GetConfigurationPolicy {
    type Output = ConfigurationPolicy;

    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        request(
            Method::GET,
            &policy_path(&self.customer, &self.policy)?,
            None,
        )
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        let path = policy_path(&self.customer, &self.policy)?;
        parse_json(Method::GET, &|| path.clone(), &response)
    }
}

/// `POST /v1/customers/{customer-id}/policies`: creates a configuration policy.
/// `200` or `201` with the policy created; an empty success body gives back the policy
/// as sent.
#[derive(Debug, Clone)]
pub struct CreateConfigurationPolicy {
    /// The customer.
    pub customer: CustomerId,
    /// The new policy.
    pub policy: ConfigurationPolicy,
}

impl CreateConfigurationPolicy {
    /// Creates `policy` for `customer`.
    pub fn new(customer: CustomerId, policy: ConfigurationPolicy) -> Self {
        Self { customer, policy }
    }
}

impl Operation for CreateConfigurationPolicy {
    type Output = ConfigurationPolicy;

    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let body = json_body("configuration policy", &self.policy)?;
        request(Method::POST, &policies_path(&self.customer), Some(body))
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_optional_json(Method::POST, &|| policies_path(&self.customer), &response)
            .map(|created| created.unwrap_or_else(|| self.policy.clone()))
    }
}

/// `PUT /v1/customers/{customer-id}/policies/{policy-id}`: replaces a configuration
/// policy. `200` with the policy; an empty success body gives back the policy as sent.
#[derive(Debug, Clone)]
pub struct UpdateConfigurationPolicy {
    /// The customer.
    pub customer: CustomerId,
    /// The policy to replace.
    pub policy_id: PolicyId,
    /// Its new content.
    pub policy: ConfigurationPolicy,
}

impl UpdateConfigurationPolicy {
    /// Replaces policy `policy_id` of `customer` with `policy`.
    pub fn new(customer: CustomerId, policy_id: PolicyId, policy: ConfigurationPolicy) -> Self {
        Self {
            customer,
            policy_id,
            policy,
        }
    }
}

impl Operation for UpdateConfigurationPolicy {
    type Output = ConfigurationPolicy;

    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        let body = json_body("configuration policy", &self.policy)?;
        request(
            Method::PUT,
            &policy_path(&self.customer, &self.policy_id)?,
            Some(body),
        )
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        let path = policy_path(&self.customer, &self.policy_id)?;
        parse_optional_json(Method::PUT, &|| path.clone(), &response)
            .map(|updated| updated.unwrap_or_else(|| self.policy.clone()))
    }
}

/// `DELETE /v1/customers/{customer-id}/policies/{policy-id}`: deletes a configuration
/// policy. `204`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteConfigurationPolicy {
    /// The customer.
    pub customer: CustomerId,
    /// The policy.
    pub policy: PolicyId,
}

impl DeleteConfigurationPolicy {
    /// Deletes policy `policy` of `customer`.
    pub fn new(customer: CustomerId, policy: PolicyId) -> Self {
        Self { customer, policy }
    }
}

impl Operation for DeleteConfigurationPolicy {
    type Output = ();

    fn to_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        request(
            Method::DELETE,
            &policy_path(&self.customer, &self.policy)?,
            None,
        )
    }

    fn parse_response(&self, response: http::Response<Vec<u8>>) -> Result<(), Error> {
        let path = policy_path(&self.customer, &self.policy)?;
        check_status(Method::DELETE, &|| path.clone(), &response)
    }
}

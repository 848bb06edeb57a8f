//! Configuration policies (Autopilot profiles): list, get, create, update, delete.

use http::Method;
use pc_models::{Collection, ConfigurationPolicy, CustomerId, PolicyId};

use super::{
    NextPage, Operation, customer_path, json_body, page_path, paged_operation, parse_json,
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
    /// The page to fetch, as the previous page named it; `None` for the first.
    pub page: Option<NextPage>,
}

impl ListConfigurationPolicies {
    /// The first page of `customer`'s policies.
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            page: None,
        }
    }
}

impl Operation for ListConfigurationPolicies {
    type Output = Collection<ConfigurationPolicy>;
    const METHOD: Method = Method::GET;

    fn path(&self) -> Result<String, Error> {
        Ok(page_path(policies_path(&self.customer), self.page.as_ref()))
    }

    fn continuation_token(&self) -> Option<&str> {
        self.page.as_ref()?.token.as_deref()
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
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
    const METHOD: Method = Method::GET;

    fn path(&self) -> Result<String, Error> {
        policy_path(&self.customer, &self.policy)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
    }
}

/// `POST /v1/customers/{customer-id}/policies`: creates a configuration policy.
/// `200` or `201` with the policy created; an empty success body is reported
/// ([`Error::Decode`]), never replaced by the policy as sent.
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
    const METHOD: Method = Method::POST;

    fn path(&self) -> Result<String, Error> {
        Ok(policies_path(&self.customer))
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body("configuration policy", &self.policy)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
    }
}

/// `PUT /v1/customers/{customer-id}/policies/{policy-id}`: replaces a configuration
/// policy. `200` with the policy; an empty success body is reported ([`Error::Decode`]).
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
    const METHOD: Method = Method::PUT;

    fn path(&self) -> Result<String, Error> {
        policy_path(&self.customer, &self.policy_id)
    }

    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        json_body("configuration policy", &self.policy)
    }

    fn parse_success(&self, response: &http::Response<Vec<u8>>) -> Result<Self::Output, Error> {
        parse_json(self, response)
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
    const METHOD: Method = Method::DELETE;

    fn path(&self) -> Result<String, Error> {
        policy_path(&self.customer, &self.policy)
    }

    fn parse_success(&self, _response: &http::Response<Vec<u8>>) -> Result<(), Error> {
        Ok(())
    }
}

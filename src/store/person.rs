//! A person of the portal's directory, shaped after Liferay's headless-admin-user
//! `UserAccount` so that `PUT /api/users/{id}` bodies deserialize into it directly.

use serde::{Deserialize, Serialize};

use super::normalize::{fold, prefixes};

/// One directory entry. Stored as a JSON value keyed by the internal id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Person {
    /// The portal user id (Liferay's `externalReferenceCode`, or its numeric id as text).
    pub id: String,
    pub given_name: String,
    /// Middle name.
    pub additional_name: String,
    pub family_name: String,
    /// Screen name.
    pub alternate_name: String,
    /// Primary email address.
    pub email_address: String,
    pub job_title: String,
    /// Portrait URL.
    pub image: Option<String>,
    pub user_account_contact_information: ContactInformation,
}

/// `UserAccountContactInformation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactInformation {
    pub email_addresses: Vec<EmailAddress>,
    pub telephones: Vec<Phone>,
    pub postal_addresses: Vec<PostalAddress>,
    pub web_urls: Vec<WebUrl>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailAddress {
    pub email_address: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Phone {
    pub phone_number: String,
    pub extension: String,
    pub phone_type: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PostalAddress {
    pub street_address_line1: String,
    pub street_address_line2: String,
    pub street_address_line3: String,
    pub address_locality: String,
    pub address_region: String,
    pub postal_code: String,
    pub address_country: String,
    pub address_type: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebUrl {
    pub url: String,
    pub url_type: String,
    pub primary: bool,
}

impl Person {
    /// "Given Middle Family", skipping empty parts.
    pub fn full_name(&self) -> String {
        [&self.given_name, &self.additional_name, &self.family_name]
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Lists sort by family name, then given name; the unit separator keeps "Li, Zoe"
    /// before "Lim, Al".
    pub(crate) fn sort_key(&self) -> String {
        let mut key = format!(
            "{}\u{1f}{}",
            fold(&self.family_name),
            fold(&self.given_name)
        );
        // Bounded so that index keys stay small whatever the directory sends.
        key.truncate(128);
        key
    }

    /// Whole-word tokens search matches by prefix: names, full names, screen name, emails.
    pub(crate) fn search_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        for name in [&self.given_name, &self.additional_name, &self.family_name] {
            tokens.extend(fold(name).split(' ').map(str::to_owned));
        }
        tokens.push(fold(&self.full_name()));
        tokens.push(fold(&format!("{} {}", self.given_name, self.family_name)));
        tokens.push(fold(&self.alternate_name));
        tokens.push(fold(&self.email_address));
        for e in &self.user_account_contact_information.email_addresses {
            tokens.push(fold(&e.email_address));
        }
        tokens.retain(|t| !t.is_empty());
        tokens.sort();
        tokens.dedup();
        tokens
    }

    pub(crate) fn search_prefixes(&self) -> Vec<String> {
        let tokens = self.search_tokens();
        prefixes(tokens.iter().map(String::as_str))
    }

    /// Does a folded query match this person (prefix of any token)?
    pub(crate) fn matches(&self, folded_query: &str) -> bool {
        self.search_tokens()
            .iter()
            .any(|t| t.starts_with(folded_query))
    }
}

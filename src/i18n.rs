//! Liferay-format Language.properties bundles and locale negotiation.

//! The WSDL a consumer loads to find the producer.
//!
//! It has the structure of the official `wsrp-2.0-services.wsdl`: one `WSRPService`
//! with the four ports, bound to the official bindings. The bindings (and through
//! them the port types and the types schema) are imported from their official OASIS
//! location, [`BINDINGS_LOCATION`], so they stay byte-for-byte the OASIS ones and the
//! host never serves (or ships) the specification files; only the addresses are ours.
//! A consumer without network access maps `http://docs.oasis-open.org/wsrp/v2/` to a
//! local copy of the specification.

use quick_xml::escape::escape;

/// Where OASIS publishes the WSRP 2.0 bindings; the WSDL imports them from here.
pub const BINDINGS_LOCATION: &str = "http://docs.oasis-open.org/wsrp/v2/wsrp-2.0-bindings.wsdl";

/// The SOAP ports: (WSDL port name, binding, path segment under `/wsrp/v2/`).
pub const PORTS: [(&str, &str, &str); 4] = [
    (
        "WSRPServiceDescriptionService",
        "WSRP_v2_ServiceDescription_Binding_SOAP",
        "service-description",
    ),
    ("WSRPMarkupService", "WSRP_v2_Markup_Binding_SOAP", "markup"),
    (
        "WSRPRegistrationService",
        "WSRP_v2_Registration_Binding_SOAP",
        "registration",
    ),
    (
        "WSRPPortletManagementService",
        "WSRP_v2_PortletManagement_Binding_SOAP",
        "portlet-management",
    ),
];

/// The services WSDL for a host reachable at `host_base_url` (`https://h.example`).
pub fn services_wsdl(host_base_url: &str) -> String {
    let base = host_base_url.trim_end_matches('/');
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<wsdl:definitions targetNamespace=\"urn:oasis:names:tc:wsrp:v2:wsdl\"\n",
        "    xmlns:bind=\"urn:oasis:names:tc:wsrp:v2:bind\"\n",
        "    xmlns=\"http://schemas.xmlsoap.org/wsdl/\"\n",
        "    xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\"\n",
        "    xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\">\n",
    ));
    out.push_str(&format!(
        "  <import namespace=\"urn:oasis:names:tc:wsrp:v2:bind\" location=\"{BINDINGS_LOCATION}\"/>\n"
    ));
    out.push_str("  <wsdl:service name=\"WSRPService\">\n");
    for (name, binding, path) in PORTS {
        out.push_str(&format!(
            "    <wsdl:port binding=\"bind:{binding}\" name=\"{name}\">\n      <soap:address location=\"{}\"/>\n    </wsdl:port>\n",
            escape(format!("{base}/wsrp/v2/{path}"))
        ));
    }
    out.push_str("  </wsdl:service>\n</wsdl:definitions>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_point_at_the_host() {
        let wsdl = services_wsdl("https://host.example/");
        for (_, _, path) in PORTS {
            let want = format!("location=\"https://host.example/wsrp/v2/{path}\"");
            assert!(wsdl.contains(&want), "{want} missing");
        }
        assert!(wsdl.contains(&format!("location=\"{BINDINGS_LOCATION}\"")));
        assert!(
            !wsdl.contains("host.example/wsrp/v2/wsrp-2.0"),
            "spec files are not ours to serve"
        );
        let parsed = crate::wsrp::xml::parse(wsdl.as_bytes(), Default::default());
        assert!(parsed.is_ok(), "{parsed:?}");
    }
}

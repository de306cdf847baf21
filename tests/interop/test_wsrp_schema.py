"""Validates the WSRP producer's answers against the official WSRP 2.0 schema, and
loads its WSDL with zeep (strict) to decode each answer as a real consumer would.

The samples come from `cargo test --test wsrp`, which writes every kind of answer to
`target/wsrp-samples/`. Run from the repository root:

    cargo test --test wsrp && pytest tests/interop/test_wsrp_schema.py

No network: the WSDL's import of the OASIS bindings, and the schema's import of
xml.xsd from w3.org, are mapped to the local copy of the specification.
"""

from pathlib import Path

import pytest
import xmlschema
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / ".." / "shared" / "specs" / "wsrp2"
SAMPLES = ROOT / "target" / "wsrp-samples"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:oasis:names:tc:wsrp:v2:types"
XML_XSD_URL = "http://www.w3.org/2001/xml.xsd"
OASIS = "http://docs.oasis-open.org/wsrp/v2/"

ANSWERS = sorted(p for p in SAMPLES.glob("*Response.xml"))
FAULTS = sorted(p for p in SAMPLES.glob("fault-*.xml"))


def local_uri(url):
    """Maps the w3.org xml.xsd address to the copy beside the WSRP schemas."""
    if url == XML_XSD_URL:
        return str(SPECS / "xml.xsd")
    return url


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(
        str(SPECS / "wsrp-2.0-types.xsd"), uri_mapper=local_uri, allow="local"
    )


def body_element(path):
    envelope = etree.parse(str(path)).getroot()
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1
    return envelope, body[0]


# What `cargo test --test wsrp` writes: every operation's answer and every fault it
# provokes. Named in full, so a sample that stops being written fails here instead of
# dropping out of the validation (CI starts from a clean target folder).
SAMPLED_OPERATIONS = {
    "deregister", "getMarkup", "getPortletDescription", "getResource",
    "getServiceDescription", "handleEvents", "initCookie", "modifyRegistration",
    "performBlockingInteraction", "register", "releaseExport", "releaseSessions",
}
SAMPLED_FAULTS = {
    "AccessDenied", "InconsistentParameters", "InvalidHandle", "InvalidRegistration",
    "InvalidUserCategory", "Malformed", "MissingParameters", "ModifyRegistrationRequired", "OperationFailed",
    "OperationNotSupported", "PortletStateChangeRequired", "UnsupportedMode",
}


def operation_and_fault(path):
    """`fault-getMarkup-InvalidHandle.xml`: the operation asked, and the fault meant."""
    operation, _, fault = path.stem.removeprefix("fault-").partition("-")
    assert fault, f"{path.name}: a sample from before faults named their operation; run `cargo test --test wsrp` in a clean target/wsrp-samples"
    return operation, fault


def test_samples_exist():
    answers = {p.stem.removesuffix("Response") for p in ANSWERS}
    faults = {operation_and_fault(p)[1] for p in FAULTS}
    assert answers >= SAMPLED_OPERATIONS, f"missing {SAMPLED_OPERATIONS - answers}: run `cargo test --test wsrp` first"
    assert faults >= SAMPLED_FAULTS, f"missing {SAMPLED_FAULTS - faults}: run `cargo test --test wsrp` first"


@pytest.mark.parametrize("path", ANSWERS, ids=lambda p: p.stem)
def test_answer_is_schema_valid(schema, path):
    _, element = body_element(path)
    assert element.tag == f"{{{TYPES}}}{path.stem}"
    schema.validate(etree.tostring(element).decode())


@pytest.mark.parametrize("path", FAULTS, ids=lambda p: p.stem)
def test_fault_detail_is_schema_valid(schema, path):
    _, fault = body_element(path)
    assert fault.tag == f"{{{SOAP_ENV}}}Fault"
    code = fault.findtext("faultcode")
    assert code in ("soapenv:Client", "soapenv:Server")
    assert fault.findtext("faultstring")
    detail = fault.find("detail")
    assert detail is not None and len(detail) == 1
    element = detail[0]
    assert element.tag.startswith(f"{{{TYPES}}}")
    schema.validate(etree.tostring(element).decode())
    # The file name says which fault the test meant to provoke.
    _, expected = operation_and_fault(path)
    if expected != "Malformed":
        assert element.tag == f"{{{TYPES}}}{expected}"


WSDL = "http://schemas.xmlsoap.org/wsdl/"


def declared_faults():
    """Each operation's faults as `wsrp-2.0-interfaces.wsdl` declares them: the types'
    element of each `<wsdl:fault>`'s message, by local name."""
    interfaces = etree.parse(str(SPECS / "wsrp-2.0-interfaces.wsdl")).getroot()
    element_of = {
        message.get("name"): part.get("element").split(":")[-1]
        for message in interfaces.iter(f"{{{WSDL}}}message")
        for part in message.iter(f"{{{WSDL}}}part")
        if part.get("element")
    }
    declared = {}
    for operation in interfaces.iter(f"{{{WSDL}}}operation"):
        faults = {
            element_of[fault.get("message").split(":")[-1]]
            for fault in operation.iter(f"{{{WSDL}}}fault")
        }
        declared.setdefault(operation.get("name"), set()).update(faults)
    return declared


# A body that is no envelope has no operation yet: its fault is a plain SOAP one.
OPERATION_FAULTS = [p for p in FAULTS if operation_and_fault(p)[1] != "Malformed"]


@pytest.mark.parametrize("path", OPERATION_FAULTS, ids=lambda p: p.stem)
def test_a_fault_is_one_its_operation_declares(path):
    """A JAX-WS or Axis consumer maps a fault to a typed exception only when the
    operation's WSDL declares it: any other surfaces as an untyped SOAP fault."""
    operation, _ = operation_and_fault(path)
    declared = declared_faults()
    assert operation in declared, f"{operation} is no WSRP operation"
    _, fault = body_element(path)
    element = fault.find("detail")[0]
    name = etree.QName(element).localname
    assert name in declared[operation], f"{operation} does not declare {name}"


# --- zeep: the WSDL loads and each answer decodes as its operation's output --------

OPERATIONS = {
    "getServiceDescriptionResponse": ("WSRP_v2_ServiceDescription_Binding_SOAP", "getServiceDescription"),
    "registerResponse": ("WSRP_v2_Registration_Binding_SOAP", "register"),
    "deregisterResponse": ("WSRP_v2_Registration_Binding_SOAP", "deregister"),
    "modifyRegistrationResponse": ("WSRP_v2_Registration_Binding_SOAP", "modifyRegistration"),
    "getPortletDescriptionResponse": ("WSRP_v2_PortletManagement_Binding_SOAP", "getPortletDescription"),
    "getMarkupResponse": ("WSRP_v2_Markup_Binding_SOAP", "getMarkup"),
    "performBlockingInteractionResponse": ("WSRP_v2_Markup_Binding_SOAP", "performBlockingInteraction"),
    "getResourceResponse": ("WSRP_v2_Markup_Binding_SOAP", "getResource"),
    "initCookieResponse": ("WSRP_v2_Markup_Binding_SOAP", "initCookie"),
    "releaseSessionsResponse": ("WSRP_v2_Markup_Binding_SOAP", "releaseSessions"),
    "handleEventsResponse": ("WSRP_v2_Markup_Binding_SOAP", "handleEvents"),
    "releaseExportResponse": ("WSRP_v2_PortletManagement_Binding_SOAP", "releaseExport"),
}


@pytest.fixture(scope="module")
def zeep_client(tmp_path_factory):
    zeep = pytest.importorskip("zeep")
    from zeep.transports import Transport

    class LocalTransport(Transport):
        """Serves the OASIS files the WSDL imports, and xml.xsd, from the local copy of
        the specification; refuses every other network address."""

        def load(self, url):
            if url.startswith(OASIS):
                return (SPECS / url[len(OASIS):]).read_bytes()
            if url == XML_XSD_URL:
                return (SPECS / "xml.xsd").read_bytes()
            assert not url.startswith("http"), f"network access to {url}"
            return super().load(url)

    # The host's WSDL as it serves it (addresses at a file: base); its import of the
    # bindings names their official OASIS location.
    served = tmp_path_factory.mktemp("host")
    template = (SAMPLES / "services.wsdl.template").read_text()
    assert OASIS + "wsrp-2.0-bindings.wsdl" in template
    wsdl = served / "wsdl"
    wsdl.write_text(template.replace("BASE_URL", served.as_uri()))
    return zeep.Client(
        str(wsdl), transport=LocalTransport(), settings=zeep.Settings(strict=True)
    )


def test_wsdl_loads_with_four_ports(zeep_client):
    service = zeep_client.wsdl.services["WSRPService"]
    ports = {name: port.binding_options["address"] for name, port in service.ports.items()}
    assert len(ports) == 4
    assert all(a.split("/wsrp/v2/")[1] in {"markup", "service-description", "registration", "portlet-management"} for a in ports.values())


@pytest.mark.parametrize("path", ANSWERS, ids=lambda p: p.stem)
def test_zeep_decodes_answer(zeep_client, path):
    binding_name, op_name = OPERATIONS[path.stem]
    ports = zeep_client.wsdl.services["WSRPService"].ports.values()
    binding = next(p.binding for p in ports if p.binding.name.localname == binding_name)
    operation = binding.get(op_name)
    envelope, _ = body_element(path)
    result = operation.output.deserialize(envelope)
    if path.stem == "getMarkupResponse":
        assert result.markupContext.mimeType == "text/html"
    if path.stem == "registerResponse":
        assert result.registrationHandle
    if path.stem == "handleEventsResponse":
        # Each event back as not processed, by its index.
        assert [int(i) for i in result.failedEvents[0].index] == [0, 1]
    if path.stem == "getServiceDescriptionResponse":
        assert result.requiresRegistration is True
        assert result.offeredPortlets[0].portletHandle

"""The running host, seen from an independent HTTP client."""

import requests


def test_health_and_catalog(host):
    assert requests.get(host.url("/healthz"), timeout=5).status_code == 200
    catalog = requests.get(host.url("/widgets"), timeout=5).json()
    ids = {w["portletId"] for w in catalog}
    assert {"contacts_center", "notifications"} <= ids, catalog


def test_metrics_are_prometheus_text(host):
    requests.get(host.url("/healthz"), timeout=5)
    text = requests.get(host.url("/metrics"), timeout=5).text
    assert "# TYPE widget_host_requests_total counter" in text
    assert 'widget_host_requests_total{route="/healthz",status="200"}' in text


def test_the_openapi_document_is_valid_openapi_3(host):
    """The integration API's description passes an independent OpenAPI 3.0 validator,
    and says that the document itself needs no token, as the host serves it."""
    from openapi_spec_validator import validate

    r = requests.get(host.url("/api/openapi.json"), timeout=5)
    assert r.status_code == 200, r.status_code
    doc = r.json()
    validate(doc)
    assert doc["paths"]["/api/openapi.json"]["get"]["security"] == []
    # Every other operation needs the portal's token.
    assert doc["security"] == [{"portalJwt": []}]

"""The running host, seen from an independent HTTP client."""

import requests


def test_health_and_catalog(host):
    assert requests.get(host.url("/healthz"), timeout=5).status_code == 200
    catalog = requests.get(host.url("/widgets"), timeout=5).json()
    ids = {w["portletId"] for w in catalog}
    assert {"contacts_center", "notifications"} <= ids, catalog


def test_metrics_are_prometheus_text(host):
    """A counter per route and status, in Prometheus's text format, counting each
    request: three more health checks are three more."""
    def healthy():
        text = requests.get(host.url("/metrics"), timeout=5).text
        assert "# TYPE widget_host_requests_total counter" in text
        series = 'widget_host_requests_total{route="/healthz",status="200"} '
        lines = [line for line in text.splitlines() if line.startswith(series)]
        return int(lines[0][len(series):]) if lines else 0

    before = healthy()
    for _ in range(3):
        assert requests.get(host.url("/healthz"), timeout=5).status_code == 200
    assert healthy() == before + 3


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


def test_api_answers_match_their_openapi_schemas(host):
    """What the integration API answers is what its document says, checked by an
    independent OpenAPI 3.0 schema validator: a PUT's stored account (every field
    present, "" where the directory holds no text), the bell of the person it made,
    and a refusal's Problem."""
    from openapi_schema_validator import OAS30Validator, validate

    doc = requests.get(host.url("/api/openapi.json"), timeout=5).json()

    def check(instance, name):
        # The document's components beside the schema: its `#/components/...`
        # references resolve within it.
        schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
        validate(instance, schema, cls=OAS30Validator)

    def bearer(user, roles):
        return {"Authorization": f"Bearer {host.token(user, roles)}"}

    admin = bearer("root", ["Administrator"])
    account = {"givenName": "Ada", "familyName": "Lovelace",
               "userAccountContactInformation": {"telephones": [{"phoneNumber": "+44 20 7946 0000"}]}}
    put = requests.put(host.url("/api/users/ada"), json=account, headers=admin, timeout=5)
    assert put.status_code == 201, put.text
    stored = put.json()
    check(stored, "StoredUserAccount")
    assert stored["emailAddress"] == "" and stored["image"] is None, stored
    # Someone asks her to connect: the bell then has an item to check.
    asked = requests.post(host.url("/widgets/contacts_center/actions/connect"),
                          data={"_contacts_center_userId": "ada"},
                          headers={**bearer("babbage", []), "Accept": "application/json"}, timeout=5)
    assert asked.status_code == 200, asked.text
    bell = requests.get(host.url("/api/users/ada/notifications"), headers=admin, timeout=5)
    assert bell.status_code == 200, bell.text
    assert bell.json()["count"] == 1 and len(bell.json()["items"]) == 1, bell.text
    check(bell.json(), "Notifications")
    # A body as Liferay's own export writes one, its `id` a number or null, is what
    # the document takes.
    check({"id": 7, "givenName": "Ada"}, "UserAccount")
    check({"id": None, "externalReferenceCode": "ada", "givenName": "Ada"}, "UserAccount")
    refused = requests.put(host.url("/api/users/ada"), json=account, headers=bearer("ada", []), timeout=5)
    assert refused.status_code == 403, refused.text
    check(refused.json(), "Problem")
    # The checks can fail: the body a PUT takes is not the account it answers.
    import jsonschema
    try:
        check({"id": 7, "givenName": "Ada"}, "StoredUserAccount")
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a request body passed as a stored account")

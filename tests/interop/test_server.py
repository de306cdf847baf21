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

"""Browser protections: nosniff everywhere, a CSP without inline script on the pages, the console never framed."""
from __future__ import annotations


def test_the_pages_carry_a_content_security_policy(client) -> None:
    widget, console = client.get("/"), client.get("/agent")
    for page in (widget, console):
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
    assert console.headers["x-frame-options"] == "DENY"
    assert client.get("/health").headers["x-content-type-options"] == "nosniff"


def test_the_api_documentation_is_not_public_in_production() -> None:
    from gateway.config import Settings
    from gateway.main import create_app

    production = create_app(Settings(environment="production", gateway_service_token="s" * 32,
                                     session_secret="t" * 32, redis_url="redis://127.0.0.1:1/0"))
    assert production.openapi_url is None and production.docs_url is None
    assert create_app(Settings(redis_url="redis://127.0.0.1:1/0")).openapi_url == "/openapi.json"

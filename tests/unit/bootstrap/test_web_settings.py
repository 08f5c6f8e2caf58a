"""OpenID Connect providers come from PLAZA_WEB_OIDC_PROVIDERS (JSON); a malformed entry is
refused when the settings are read, naming the field, and the secret stays out of reprs."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from plaza.bootstrap.accounts import oidc_providers
from plaza.settings import WebSettings

EXAMPLE = {
    "name": "example",
    "label": "Example ID",
    "issuer": "https://id.example.org",
    "client_id": "plaza",
    "client_secret": "s3cret value",
}


def test_providers_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAZA_WEB_OIDC_PROVIDERS", json.dumps([EXAMPLE]))
    settings = WebSettings()
    assert "s3cret" not in repr(settings)
    [provider] = oidc_providers(settings.oidc_providers)
    assert (provider.name, provider.issuer, provider.client_id) == (
        "example",
        "https://id.example.org",
        "plaza",
    )
    assert provider.client_secret == "s3cret value"
    assert "s3cret" not in repr(provider)


def test_none_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAZA_WEB_OIDC_PROVIDERS", raising=False)
    assert WebSettings().oidc_providers == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Not A Slug"), ("issuer", "ftp://id.example.org"), ("client_id", "")],
)
def test_a_malformed_provider_is_refused(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str
) -> None:
    monkeypatch.setenv("PLAZA_WEB_OIDC_PROVIDERS", json.dumps([{**EXAMPLE, field: value}]))
    with pytest.raises(ValidationError, match=field):
        WebSettings()

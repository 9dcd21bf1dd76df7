"""Secrets never leave the process: the redactor is the last line of defence."""

from __future__ import annotations

from conformance.redact import REDACTED, redact_headers, redact_text, register_secret


def test_registered_secret_is_removed_wherever_it_appears() -> None:
    register_secret("s3cr3t-value-for-tests")
    text = redact_text("url?key=s3cr3t-value-for-tests and again s3cr3t-value-for-tests")
    assert "s3cr3t" not in text
    assert text.count(REDACTED) == 2


def test_unregistered_bearer_tokens_and_sk_keys_are_removed() -> None:
    assert "abc123def456" not in redact_text("Authorization: Bearer abc123def456")
    assert "sk-live0123456789" not in redact_text("echo: sk-live0123456789")


def test_prose_mentioning_bearer_survives() -> None:
    title = "Authorization: Bearer alone is accepted"
    assert redact_text(title) == title


def test_credential_headers_keep_their_scheme_only() -> None:
    headers = redact_headers(
        {"Authorization": "Bearer whatever-123", "x-api-key": "k-123456", "Accept": "video/mp4"}
    )
    assert headers == {
        "Authorization": f"Bearer {REDACTED}",
        "x-api-key": REDACTED,
        "Accept": "video/mp4",
    }


def test_echoed_key_is_removed_in_encoded_forms() -> None:
    import base64
    from urllib.parse import quote

    key = "vk/echo+key=0123456789"
    register_secret(key)
    echoes = [
        f"https://cdn.test/file?sig={quote(key, safe='')}",
        "basic " + base64.b64encode(f":{key}".encode()).decode(),
        "b64 " + base64.b64encode(key.encode()).decode(),
        "url-safe " + base64.urlsafe_b64encode(key.encode()).decode().rstrip("="),
        '{"key": "' + key.replace("/", "\\/") + '"}',
    ]
    for echo in echoes:
        assert REDACTED in redact_text(echo), echo


def test_an_echoed_key_in_a_response_header_is_removed() -> None:
    register_secret("hdr-echo-secret-0123")
    headers = redact_headers({"X-Echo": "you sent hdr-echo-secret-0123"})
    assert "hdr-echo-secret" not in headers["X-Echo"]

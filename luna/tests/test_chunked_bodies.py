"""A chunked request body is read like any other, within the size limit, never silently dropped."""

from __future__ import annotations

import http.client
import io
import json
import socket
from urllib.parse import urlparse

import pytest
from django.test import Client
from gunicorn.http.errors import InvalidChunkSize, NoMoreData

from luna.tests.live import gunicorn, request


def chunked(base: str, method: str, path: str, chunks, token: str) -> tuple[int, dict]:
    address = urlparse(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    conn.request(method, path, body=iter(chunks), headers=headers, encode_chunked=True)
    response = conn.getresponse()
    body = json.loads(response.read() or b"null")
    conn.close()
    return response.status, body


def raw_chunked(base: str, method: str, path: str, body: bytes, token: str) -> tuple[int, dict]:
    """Send `body` as it is after chunked headers (http.client would encode the chunks itself)."""
    address = urlparse(base)
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {address.hostname}\r\nAuthorization: Token {token}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read() or b"null")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chunked_bodies_through_gunicorn_are_read_or_refused_never_ignored():
    with gunicorn(workers=1) as base:
        signup = {"handle": "chunky", "name": "Plain", "password": "a long enough passphrase"}
        status, _, user = request(f"{base}/users/", method="POST", body=signup)
        assert status == 201
        _, _, signed_in = request(
            f"{base}/auth/token/", method="POST", body={"handle": "chunky", "password": signup["password"]}
        )
        token = signed_in["token"]
        path = f"/users/{user['id']}/"

        status, body = chunked(base, "PATCH", path, [b'{"name": ', b'"Chunky"}'], token)
        assert (status, body["name"]) == (200, "Chunky")

        # 10 MB: the server answers 413 after the first MB and closes, so the client may instead see
        # the connection reset while it is still sending. Either way the write does not happen.
        try:
            status, body = chunked(base, "PATCH", path, [b'{"name": "' + b"x" * 1024 * 1024] * 10 + [b'"}'], token)
            assert status == 413
        except (BrokenPipeError, ConnectionResetError):
            pass

        # A chunk size that is not hexadecimal (nginx would have refused it; gunicorn alone hands it on).
        status, body = raw_chunked(base, "PATCH", path, b'zz\r\n{"name": "Mallory"}\r\n0\r\n\r\n', token)
        assert status == 400
        assert body == {"detail": "The chunked request body is malformed."}

        _, _, stored = request(f"{base}{path}", headers={"Authorization": f"Token {token}"})
        assert stored["name"] == "Chunky"


def patch_chunked(user, **environ):
    """PATCH the user's name with a chunked body through Django's test client (no gunicorn)."""
    client = Client()
    client.force_login(user)
    return client.generic(
        "PATCH", f"/users/{user.pk}/", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked", **environ
    )


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_a_413_and_changes_nothing(alice):
    body = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    response = patch_chunked(alice, **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is over the limit of 1048576 bytes."}
    alice.refresh_from_db()
    assert alice.name == "Alice Chen"


@pytest.mark.django_db
def test_a_server_that_cannot_say_where_a_chunked_body_ends_gets_a_411(alice):
    response = patch_chunked(alice, **{"wsgi.input": io.BytesIO(b'{"name": "Chunky"}')})
    assert response.status_code == 411
    assert response.json() == {"detail": "Send the body with a Content-Length header."}
    alice.refresh_from_db()
    assert alice.name == "Alice Chen"


class BrokenChunks(io.BytesIO):
    """A request body as gunicorn reads it when the client sent a chunk size that is not a number."""

    def read(self, *args):
        raise InvalidChunkSize(b"zz")


class CutShort(io.BytesIO):
    """A chunked body whose client went away before its last chunk."""

    def read(self, *args):
        raise NoMoreData(b"")


@pytest.mark.django_db
@pytest.mark.parametrize("body", [BrokenChunks, CutShort], ids=["invalid-chunk-size", "cut-short"])
def test_a_malformed_chunked_body_is_a_400_and_changes_nothing(alice, body):
    response = patch_chunked(alice, **{"wsgi.input": body(), "wsgi.input_terminated": True})
    assert response.status_code == 400
    assert response.json() == {"detail": "The chunked request body is malformed."}
    alice.refresh_from_db()
    assert alice.name == "Alice Chen"

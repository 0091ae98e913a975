"""The cap on multipart bodies with files: a 413 page, never a 500, and nothing read or saved."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from curation.models import Suggestion


@pytest.fixture
def small_cap(settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    return settings.UPLOAD_MAX_BYTES


def test_an_oversized_upload_gets_a_clear_413_page(client, db, small_cap):
    big = SimpleUploadedFile("groups.csv", b"name\n" + b"x" * 2 * small_cap, "text/csv")
    response = client.post("/suggest/", {"name": "A group", "file": big})
    assert response.status_code == 413
    html = response.content.decode()
    assert "The file is too large" in html and "0.1 MB" in html
    assert not Suggestion.objects.exists()


def test_an_upload_under_the_cap_reaches_the_form(client, db, small_cap):
    small = SimpleUploadedFile("groups.csv", b"name\nA group\n", "text/csv")
    response = client.post("/suggest/", {"name": "A group", "file": small})
    assert response.status_code == 200  # the suggestion form, with its own errors


def test_the_413_page_speaks_the_readers_language(client, db, small_cap):
    big = SimpleUploadedFile("groups.csv", b"x" * 2 * small_cap, "text/csv")
    response = client.post("/es/suggest/", {"file": big})
    assert response.status_code == 413
    assert "El archivo es demasiado grande" in response.content.decode()


def test_a_real_oversized_post_is_refused_without_reading_the_body(live_server, small_cap):
    """Over a socket: the answer comes while most of the body is still unsent."""
    host, port = live_server.thread.host, live_server.thread.port
    boundary = "x-boundary"
    length = 50 * small_cap
    head = (
        f"POST /suggest/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(head + b"x" * small_cap)  # a fiftieth of what was announced
        answer = b""
        while b"</html>" not in answer and (chunk := conn.recv(65536)):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    assert b" 413 " in status_line, status_line
    assert b"The file is too large" in answer

"""Fetching an Open311 ``media_url``: in the task worker, never in the request, from public addresses only.

A client's URL is an attacker's URL. The request that carries it only records it; the task worker fetches
it later under limits: http(s) only, every address the host resolves to must be public (no loopback,
private, link-local, multicast or reserved ranges), the connection goes to the address that was checked
(no second DNS answer can swap in an internal one), at most 3 redirects (each checked the same way), 5 s
per socket operation and 15 s in all, 10 MB. What arrives must pass the same photo checks as an upload.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks import task

log = logging.getLogger("jingwu.open311.media")

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 5.0
DEADLINE = 15.0
MAX_REDIRECTS = 3


class Refused(Exception):
    """The URL may not be fetched (an internal address, a bad scheme, too large, too slow)."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global) and not ip.is_multicast


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"cannot resolve {host}") from exc
    addresses = [info[4][0] for info in infos]
    bad = [a for a in addresses if not is_public(str(a))]
    if not addresses or bad:
        raise Refused(f"{host} resolves to a non-public address {bad[0] if bad else ''}".strip())
    return str(addresses[0])


class _CheckedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        address = _resolve(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout)


class _CheckedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        address = _resolve(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_CheckedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_CheckedHTTPS, req)


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise Refused("redirect to a non-http(s) URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.OpenerDirector()
for _handler in (_HTTPHandler(), _HTTPSHandler(), _Redirects(), urllib.request.HTTPErrorProcessor()):
    _opener.add_handler(_handler)


def fetch(url: str) -> bytes:
    if urlsplit(url).scheme not in ("http", "https"):
        raise Refused("media_url must be an http(s) URL")
    started = time.monotonic()
    try:
        with _opener.open(url, timeout=TIMEOUT) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES:
                raise Refused("larger than 10 MB")
            chunks, total = [], 0
            while True:
                if time.monotonic() - started > DEADLINE:
                    raise Refused("took longer than 15 s")
                chunk = resp.read(64 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_BYTES:
                    raise Refused("larger than 10 MB")
                chunks.append(chunk)
    except Refused:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        raise Refused(f"could not fetch: {exc}") from exc
    return b"".join(chunks)


@task()
def fetch_media(case_id: int, url: str) -> str:
    """Fetch a reporter's photo and attach it to their case as a report photo."""
    from jingwu.cases import services
    from jingwu.lib.errors import ServiceError
    from jingwu.org import actors

    try:
        data = fetch(url)
        services.add_photos(case_id, actor=actors.OPEN311, photos=[SimpleUploadedFile("media", data)])
    except (Refused, ServiceError) as exc:
        log.warning("media_url of case %s not attached: %s", case_id, exc)
        return f"refused: {exc}"
    return "attached"

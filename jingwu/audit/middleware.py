from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of JINGWU_TRUSTED_PROXIES, parsed once per value of the setting (keyed on it, so that a
    test's override_settings is seen). A bare address is a network of one."""
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def parse_address(value: str) -> Address | None:
    """One hop as proxies write it: whitespace around it, an IPv4 address with a port (``1.2.3.4:5678``), an
    IPv6 address in brackets with or without a port (``[2001:db8::1]:443``), an IPv4-mapped IPv6 address.
    None for anything else (``unknown``, an obfuscated RFC 7239 name, garbage)."""
    value = value.strip()
    if value.startswith("["):
        host, bracket, port = value[1:].partition("]")
        if not bracket or (port and not (port.startswith(":") and _is_port(port[1:]))):
            return None
        value = host
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
        if not _is_port(port):
            return None
        value = host
    # A zone id (fe80::1%eth0) names an interface of the machine that wrote it, and PostgreSQL's inet column
    # (the audit trail's address) refuses it.
    if "%" in value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _trusted(address: Address, networks: Iterable[Network]) -> bool:
    # `in` across IP versions is False, never an error.
    return any(address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, for the audit trail, the throttles and django-axes.

    REMOTE_ADDR, unless it is one of JINGWU_TRUSTED_PROXIES (nginx in the city deployment): then the rightmost
    address of X-Forwarded-For that is not itself a trusted proxy. Each proxy appends the address it was
    reached from, so the rightmost untrusted hop was written by one of our own proxies, and anything left
    of it may have been sent by the client: a forged ``X-Forwarded-For: 1.2.3.4`` stays on the left and
    is never read. An entry that is not an address (or is empty) ends the walk at the last trusted hop, the
    proxy that passed it on or REMOTE_ADDR: nothing left of it can be vouched for, and the proxy's address is
    a true record where a guess would not be. With no trusted proxies configured, X-Forwarded-For is ignored:
    any client could forge it.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    entries = settings.JINGWU_TRUSTED_PROXIES
    if not remote or not entries:
        return remote
    networks = trusted_networks(tuple(entries))
    hop = parse_address(remote)
    if hop is None or not _trusted(hop, networks):
        return remote
    found = remote
    # Repeated X-Forwarded-For headers reach Django joined by commas, in order.
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = parse_address(entry)
        if hop is None:
            break
        found = str(hop)
        if not _trusted(hop, networks):
            break
    return found


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_(context.RequestContext(ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)

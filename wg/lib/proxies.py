"""The client's address behind trusted reverse proxies (``WG_TRUSTED_PROXIES``).

A proxy appends the address it received a request from to ``X-Forwarded-For``; anything to the left of that was
written by whoever sent the request and may be invented. So the chain is read from the right: the direct peer, then
each address a trusted proxy reported, until the first address that is not a trusted proxy — that is the client.
Without trusted proxies, or when the direct peer is not one, the headers are ignored: the peer is the client.

Only ``X-Forwarded-For`` is read, not RFC 7239 ``Forwarded``: a proxy that writes one header passes the other through
untouched from the client, so honouring both would let a client choose its own address through the one its proxy
does not write. nginx (``$proxy_add_x_forwarded_for``), Caddy, Traefik and HAProxy (``option forwardfor``) all
write ``X-Forwarded-For``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from litestar.types import ASGIApp, Receive, Scope, Send

from wg.settings import IPNetwork, Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(value: str) -> Address | None:
    """An IP address from a peer or a header entry (``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]:80``), or None."""
    text = value.strip().strip('"')
    if text.startswith("["):  # [IPv6] or [IPv6]:port
        if "]" not in text:
            return None
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: Address, trusted: Sequence[IPNetwork]) -> bool:
    """True when ``address`` lies in one of the trusted networks (an IPv4-mapped IPv6 peer counts as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in trusted)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the right-most hop of ``X-Forwarded-For`` + peer that is not a trusted proxy.

    ``forwarded_for`` holds the header's values in the order received (several lines join as one list). An entry
    that is not an address stops the walk at the last address read: a trusted proxy never writes one, so it came
    from the client side of the chain.
    """
    current = parse_address(peer)
    if current is None or not trusted or not is_trusted(current, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        current = address
        if not is_trusted(address, trusted):
            break
    return str(current)


def trusted_proxy_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Litestar middleware factory: replaces the ASGI ``client`` with the address the trusted proxies name.

    Every use of the client's address (throttling, the audit log, the server's access log) then sees the client,
    not the proxy.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            settings: Settings = scope["litestar_app"].state.settings
            peer = scope.get("client")
            if settings.trusted_proxies and peer:
                values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
                if values:
                    host = client_address(peer[0], values, settings.trusted_proxies)
                    if host != peer[0]:
                        scope["client"] = (host, 0)
        await app(scope, receive, send)

    return middleware

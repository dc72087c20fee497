"""One POST to a store's endpoint, to the address checked a moment before, with one timeout for the whole call.

The host is resolved here, at send time, and every address it resolves to must be public (no private,
loopback, link-local, reserved or multicast range) unless WEBHOOKS_ALLOW_PRIVATE; the connection then goes
to that very address (the TLS name and the Host header stay the URL's), so a name that changes its answer
between the check and the call cannot lead the request inside. Redirects are not followed: an endpoint
answers itself. Only the first KB of the answer is read.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

RESPONSE_KEPT = 1024


class Refused(Exception):
    """The URL may not be called (scheme, address); no request was made."""


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, timed out, connection failed)
    body: str
    error: str
    milliseconds: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def url_problem(url: str, *, allow_private: bool) -> str:
    """Why this URL cannot be an endpoint ("" when it can): only https, unless private addresses are allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "That is not a URL."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "The URL must start with https:// and name a host."
    if parts.scheme == "http" and not allow_private:
        return "Only https:// URLs are accepted (WEBHOOKS_ALLOW_PRIVATE allows http:// for internal systems)."
    if parts.username or parts.password:
        return "The URL may not carry a user name or password."
    if port == 0:
        return "The URL's port is not valid."
    return ""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to; Refused when any address the name has is not public (and that is not allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host {host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        inside = [a for a in addresses if not _public(a)]
        if inside:
            raise Refused(
                f"{host} resolves to a private, loopback or link-local address ({inside[0]}); "
                "WEBHOOKS_ALLOW_PRIVATE allows it"
            )
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Answer:
    """POST ``body``; every failure is an Answer with an error, never an exception."""
    started = time.monotonic()

    def answer(status=None, text="", error=""):
        return Answer(status, text, error[:500], int((time.monotonic() - started) * 1000))

    problem = url_problem(url, allow_private=allow_private)
    if problem:
        return answer(error=f"Refused: {problem}")
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        address = resolve(parts.hostname, port, allow_private=allow_private)
    except Refused as exc:
        return answer(error=f"Refused: {exc}")
    options = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if https:
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.netloc.rsplit("@", 1)[-1]
    deadline = started + timeout
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            text = response.read(RESPONSE_KEPT, decode_content=False) if time.monotonic() < deadline else b""
        finally:
            response.release_conn()
            response.close()
        return answer(response.status, text.decode("utf-8", "replace"))
    except urllib3.exceptions.HTTPError as exc:
        kind = "Timed out" if isinstance(exc, urllib3.exceptions.TimeoutError) else "No answer"
        return answer(error=f"{kind}: {exc}")
    except OSError as exc:
        return answer(error=f"No answer: {exc}")
    finally:
        pool.close()

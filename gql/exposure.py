"""Safe defaults: anonymous full access is served on a loopback address only.

Until tokens are configured every caller is anonymous and may do everything, which is the
embedded case (one user, one machine). Bound to another address the same server would
hand every template and instance to anyone who can reach the port, so `chameleon serve`
refuses to start there unless auth is configured, or the operator says
`--insecure-anonymous` (and is warned at every start).
"""

from __future__ import annotations

import ipaddress
import socket

from gql.settings import Settings

AUTH_SETTINGS = (
    "CHAMELEON_AUTH_SECRET",
    "CHAMELEON_AUTH_JWKS",
    "CHAMELEON_AUTH_ISSUER",
    "CHAMELEON_AUTH_AUDIENCE",
)


def is_loopback(host: str) -> bool:
    """True when every address `host` names is a loopback address.

    An empty host, `0.0.0.0` and `::` bind every interface; a name is resolved, and one that
    does not resolve counts as not loopback (refusing is the safe side)."""
    name = host.strip().strip("[]")
    if not name:
        return False
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%")[0]).is_loopback for address in addresses
    )


def refusal(settings: Settings, host: str) -> str | None:
    """Why the server must not start bound to `host`, or None when it may."""
    if settings.auth_configured or settings.insecure_anonymous or is_loopback(host):
        return None
    return (
        f"Refusing to serve anonymous full access on {host!r}, which is not a loopback "
        f"address: configure tokens ({' or '.join(AUTH_SETTINGS)}), bind 127.0.0.1, or "
        "accept the risk with --insecure-anonymous (CHAMELEON_INSECURE_ANONYMOUS=true)."
    )


def warning(settings: Settings, host: str) -> str | None:
    """The warning printed at every start that serves anonymous access off the loopback."""
    if settings.auth_configured or is_loopback(host):
        return None
    return (
        f"WARNING: serving anonymous full access on {host!r} (--insecure-anonymous): anyone "
        "who can reach this port can read and change every template and instance."
    )

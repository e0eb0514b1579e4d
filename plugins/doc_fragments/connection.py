# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the connection options that every linstor.incus module shares."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  controllers:
    description:
      - LINSTOR controllers, tried in order; the next is used when one cannot be reached (not when one fails TLS
        verification, which fails the task).
      - A list, or a comma-separated string as E(LS_CONTROLLERS) holds them (C(linstor://ctrl1,linstor://ctrl2)).
      - Credentials in an address (C(user:password@host)) are refused; use O(auth_token) or a client certificate.
      - C(linstor://host) means HTTP on port 3370, C(linstor+ssl://host) HTTPS on port 3371;
        C(http://host:port) and C(https://host:port) are accepted as they are, and a bare C(host[:port]) is read as C(linstor://).
      - When not set, the E(LS_CONTROLLERS) environment variable is used, then the C(controllers) key in the
        C([global]) section of C(~/.config/linstor/linstor-client.conf) or C(/etc/linstor/linstor-client.conf),
        as the C(linstor) command reads them, then C(linstor://localhost).
      - A wrong address fails before any request, its message naming where it came from when that is not this
        option, as in C(controllers (from the LS_CONTROLLERS environment variable\)); so does a wrong O(ca_cert),
        O(client_cert), O(client_key) or O(auth_token) taken from C(linstor-client.conf), as in
        C(ca_cert (from cafile in linstor-client.conf\)).
    type: list
    elements: str
  ca_cert:
    description:
      - CA certificate (PEM file) to verify the controllers' HTTPS certificates with.
      - Defaults to the C(cafile) key of C(linstor-client.conf), else the system's trust store.
    type: path
    aliases: [cacert]
  client_cert:
    description:
      - Client certificate (PEM file) presented to controllers that require one.
      - Defaults to the C(certfile) key of C(linstor-client.conf).
    type: path
  client_key:
    description:
      - Private key (PEM file) of O(client_cert). Requires O(client_cert). The path of the file, never the key
        itself (a value holding a PEM block is refused without being shown).
      - Defaults to the C(keyfile) key of C(linstor-client.conf).
    type: path
  validate_certs:
    description:
      - Verify the controllers' HTTPS certificates. Only turn this off for throw-away test setups.
    type: bool
    default: true
  auth_token:
    description:
      - "Token sent as C(Authorization: Bearer <token>) to controllers that require authentication."
      - Defaults to the C(auth-token) key of C(linstor-client.conf).
      - Never sent over plain HTTP unless O(allow_insecure_auth) is set. Surrounding whitespace is dropped; a token
        holding any other character an HTTP header cannot carry (outside visible ASCII) is refused.
    type: str
  allow_insecure_auth:
    description:
      - Allow sending O(auth_token) to C(http://) or C(linstor://) controllers.
    type: bool
    default: false
  timeout:
    description:
      - Seconds each request may take in all, from connecting to the controller to reading its reply in full (a
        controller sending its headers or its reply a byte at a time cannot hold the run); through a SOCKS proxy, or
        HTTPS tunnelled through an HTTPS proxy, each wait for data only. More than 0, at most 86400 (a day).
    type: float
    default: 60
notes:
  - Requests that are safe to repeat (GET, PUT, DELETE) are retried on the next controller when the connection fails;
    a POST that may have reached a controller is never repeated.
requirements:
  - requests
  - urllib3 >= 2.1
"""

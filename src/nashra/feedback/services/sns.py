"""Amazon SNS message signatures, as AWS documents them ("Verifying the signatures of Amazon SNS
messages"): the signature (base64) is RSA PKCS#1 v1.5 over SHA1 (`SignatureVersion` 1) or SHA256
(2) of a string made of some of the message's fields, each as "Name\\nvalue\\n" in this order; the
key is in the X.509 certificate at `SigningCertURL`.

That URL is in the message, so anyone can point it at a certificate of their own: it is fetched
only over https, from a host the configuration allows (by default only sns.<region>.amazonaws.com,
whose TLS certificate vouches that the file is Amazon's), with no user or port, through the shared
HTTP client (timeouts, size cap). Certificates are kept by URL, so a busy topic costs one fetch.
AWS's SDK validators do the same; none is kept up for Python, and the checks take a few lines of
`cryptography`.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from nashra.feedback.services import Refused

_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION,
    "UnsubscribeConfirmation": _CONFIRMATION,
}
_OPTIONAL = frozenset({"Subject"})
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
_KEPT = 32  # certificates; SNS rotates them rarely, and a deployment uses one or two regions


def string_to_sign(message: Mapping[str, str]) -> bytes:
    """The text SNS signs for `message` (whose Type is one of SIGNED_FIELDS)."""
    lines = []
    for name in SIGNED_FIELDS[message["Type"]]:
        value = message.get(name)
        if value is None and name in _OPTIONAL:
            continue
        if value is None:
            raise Refused(400, f"malformed: no {name}")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode("utf-8")


class Certificates:
    """SNS signing certificates, by URL, fetched only from allowed https URLs."""

    def __init__(self, http: httpx.Client, allows_host: Callable[[str], bool]) -> None:
        self._http = http
        self._allows_host = allows_host
        self._kept: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """Whether `url` is https on an allowed host, nothing else in its authority. Parsed as the
        client that would fetch it parses it, so the host checked is the host contacted."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            return False
        return (
            parsed.scheme == "https"
            and parsed.port is None
            and not parsed.userinfo
            and self._allows_host(parsed.host)
        )

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            kept = self._kept.get(url)
        if kept is not None:
            return kept
        try:
            response = self._http.get(url)
            response.raise_for_status()
            certificate = x509.load_pem_x509_certificate(response.content)
        except httpx.HTTPError:
            raise Refused(503, "signing certificate unavailable") from None
        except ValueError:
            raise Refused(403, "signing certificate unreadable") from None
        with self._lock:
            self._kept[url] = certificate
            while len(self._kept) > _KEPT:
                self._kept.popitem(last=False)
        return certificate

    def verify(self, message: Mapping[str, str], now: datetime) -> None:
        """Refuse `message` unless its signature holds under the certificate it names (which
        `allowed` must have passed: nothing else is fetched)."""
        url = message.get("SigningCertURL", "")
        if not self.allowed(url):
            raise Refused(403, "signing certificate URL not allowed")
        algorithm = _HASHES.get(message.get("SignatureVersion", ""))
        if algorithm is None:
            raise Refused(403, "unsupported SignatureVersion")
        try:
            signature = base64.b64decode(message.get("Signature", ""), validate=True)
        except ValueError:  # binascii.Error, or a character that is not ASCII
            raise Refused(403, "bad signature") from None
        data = string_to_sign(message)
        certificate = self._certificate(url)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise Refused(403, "signing certificate expired")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise Refused(403, "signing certificate has no RSA key")
        try:
            key.verify(signature, data, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise Refused(403, "bad signature") from None

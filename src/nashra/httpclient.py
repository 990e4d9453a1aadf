"""The one HTTP client every step shares, with limits no server can talk it out of.

httpx's timeouts bound each *gap* between reads, so a server sending one byte every few seconds
keeps a request alive for ever, and it inflates gzip without bound. This client adds, for every
request (sources, images, Telegram, webhooks, WebSub pings):

- a total deadline, enforced in the network layer: every connect, TLS, write and read is given at
  most the time left, so a trickle ends at the deadline, headers or body alike;
- a connect timeout that also covers the name lookup (`getaddrinfo` has no timeout of its own);
- a cap on the body as sent, and gzip/deflate undone here, a bounded slice at a time, so a small
  bomb stops at the decompression cap instead of filling memory.

A deadline set around a call with `within(seconds)` also covers its redirects; the shorter of it
and the client's own wins.
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from httpx._utils import get_environment_proxies  # what httpx itself reads; no public equivalent

from nashra.config import Settings

MB = 1_000_000
DECODED_ENCODINGS = ("gzip", "x-gzip", "deflate")


@dataclass(frozen=True, slots=True)
class Limits:
    read_seconds: float
    connect_seconds: float
    deadline_seconds: float
    max_response_bytes: int
    max_decompressed_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        ingest = settings.ingest
        return cls(
            read_seconds=ingest.timeout_seconds,
            connect_seconds=ingest.connect_timeout_seconds,
            deadline_seconds=ingest.deadline_seconds,
            max_response_bytes=int(ingest.max_response_mb * MB),
            max_decompressed_bytes=int(ingest.max_decompressed_mb * MB),
        )


class DeadlineExceeded(httpx.TimeoutException):
    """The whole request took longer than its deadline."""


class ResponseTooLarge(httpx.TransportError):
    """The body, as sent or decompressed, is larger than its cap."""


def megabytes(size: int) -> str:
    return f"{size / MB:g} MB"


_local = threading.local()


def _deadline() -> float | None:
    deadline: float | None = getattr(_local, "deadline", None)
    return deadline


@contextmanager
def _until(deadline: float) -> Iterator[float]:
    """Run the block under `deadline` (monotonic), or an earlier one already in force."""
    previous = _deadline()
    effective = deadline if previous is None else min(previous, deadline)
    _local.deadline = effective
    try:
        yield effective
    finally:
        _local.deadline = previous


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Everything sent through the shared client in this block (redirects too) ends within `seconds`."""
    with _until(time.monotonic() + seconds):
        yield


def _left(timeout: float | None) -> float | None:
    """`timeout` shortened to the time left before the deadline; the network layer's only clock."""
    deadline = _deadline()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("deadline reached")
    return left if timeout is None else min(timeout, left)


def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """Addresses of `host`, looked up in a daemon thread so the lookup obeys `timeout` too."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return [host]
    except OSError:
        pass
    found: list[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    if not done.wait(timeout):
        raise httpcore.ConnectTimeout(f"looking up {host} took longer than {timeout:g} s")
    result = found[0]
    if isinstance(result, OSError):
        raise httpcore.ConnectError(f"cannot resolve {host}: {result}")
    return list(dict.fromkeys(str(info[4][0]) for info in result))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        started = time.monotonic()
        addresses = _resolve(host, port, _left(timeout))
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:  # as socket.create_connection does: the next address on failure
            spent = time.monotonic() - started
            left = _left(None if timeout is None else max(timeout - spent, 0.001))
            try:
                stream = self._inner.connect_tcp(address, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return _DeadlineStream(stream)
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Inflater:
    """gzip or deflate undone with a bound on the output of every step (zlib's `max_length`)."""

    def __init__(self, encoding: str) -> None:
        self._raw_fallback = encoding == "deflate"  # servers send zlib or, wrongly, raw deflate
        self._z = zlib.decompressobj(zlib.MAX_WBITS | (32 if encoding != "deflate" else 0))
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflated `data`; more than `room` bytes of it means over the cap (the caller checks)."""
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if not (self._raw_fallback and not self._started):
                raise
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room + 1)
        self._started = True
        return out


class _BoundedStream(httpx.SyncByteStream):
    """The body read under the request's deadline, counted as sent, and inflated here if encoded."""

    def __init__(
        self, inner: httpx.SyncByteStream, limits: Limits, deadline: float, encoding: str | None
    ) -> None:
        self._inner = inner
        self._limits = limits
        self._deadline = deadline
        self._inflater = _Inflater(encoding) if encoding else None

    def __iter__(self) -> Iterator[bytes]:
        limits = self._limits
        chunks = iter(self._inner)
        sent = inflated = 0
        while True:
            with _until(self._deadline), _deadline_errors(self._deadline, limits):
                chunk = next(chunks, None)
            if chunk is None:
                return
            sent += len(chunk)
            if sent > limits.max_response_bytes:
                raise ResponseTooLarge(f"response exceeded {megabytes(limits.max_response_bytes)}")
            if self._inflater is None:
                yield chunk
                continue
            try:
                piece = self._inflater.feed(chunk, limits.max_decompressed_bytes - inflated)
            except zlib.error as exc:
                raise httpx.DecodingError(f"cannot decompress the response: {exc}") from None
            inflated += len(piece)
            if inflated > limits.max_decompressed_bytes:
                raise ResponseTooLarge(
                    f"response exceeded {megabytes(limits.max_decompressed_bytes)} once decompressed"
                )
            yield piece

    def close(self) -> None:
        self._inner.close()


@contextmanager
def _deadline_errors(deadline: float, limits: Limits) -> Iterator[None]:
    """A timeout that fell on the deadline is reported as the deadline, with its length."""
    try:
        yield
    except httpx.TimeoutException as exc:
        if time.monotonic() >= deadline - 0.05 and not isinstance(exc, DeadlineExceeded):
            raise DeadlineExceeded(f"no complete answer within {limits.deadline_seconds:g} s") from None
        raise


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, over a network backend that keeps the deadline, with capped bodies."""

    def __init__(self, limits: Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        # httpx has no parameter for httpcore's network backend; its pool reads this attribute
        # for every new connection.
        self._pool._network_backend = _DeadlineBackend(self._pool._network_backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        limits = self.limits
        with (
            _until(time.monotonic() + limits.deadline_seconds) as deadline,
            _deadline_errors(deadline, limits),
        ):
            response = super().handle_request(request)
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limits.max_response_bytes:
            response.close()
            raise ResponseTooLarge(
                f"response exceeded {megabytes(limits.max_response_bytes)} ({megabytes(int(length))} announced)"
            )
        headers = response.headers.copy()
        encoding = headers.get("Content-Encoding", "").strip().lower() or None
        if encoding in DECODED_ENCODINGS:
            del headers["Content-Encoding"]  # undone here, within the cap; httpx must not do it again
            headers.pop("Content-Length", None)
        elif encoding not in (None, "identity"):
            response.close()
            raise httpx.DecodingError(f"unsupported Content-Encoding {encoding!r} (not asked for)")
        else:
            encoding = None
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_BoundedStream(response.stream, limits, deadline, encoding),
            extensions=response.extensions,
        )


def open_client(settings: Settings) -> httpx.Client:
    """The shared client: every route (direct, or each proxy from the environment) guarded."""
    limits = Limits.from_settings(settings)
    mounts: dict[str, httpx.BaseTransport | None] = {
        pattern: GuardedTransport(limits, proxy=proxy) if proxy else None
        for pattern, proxy in get_environment_proxies().items()
    }
    return httpx.Client(
        transport=GuardedTransport(limits),
        mounts=mounts,
        timeout=httpx.Timeout(limits.read_seconds, connect=limits.connect_seconds),
        headers={"User-Agent": settings.ingest.user_agent, "Accept-Encoding": "gzip, deflate"},
    )

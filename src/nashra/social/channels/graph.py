"""What Meta's three platforms share: the Graph API over httpx, its errors, and two-step publishing.

Facebook Pages, Instagram and Threads answer the same way, and mostly with HTTP 400 whatever the
cause: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`. So the verdict comes
from the code: throttling waits (as long as Meta's usage headers estimate, when they do), codes 1
and 2 and 5xx are transient, a bad token or a missing permission stops the channel for an
operator, anything else refused the post. The token travels in an `Authorization: Bearer` header,
never in a URL that could end up in a log, and the API version is pinned in the config, so a new
Graph version changes nothing until an operator moves to it. None of the three deduplicates: a
request that may have been applied without an answer is recorded "unknown".

Instagram and Threads publish in two steps, a media container and then `…_publish`. Only the
second can make a post appear, so anything that goes wrong before it, a timeout included, is
simply tried again; once `…_publish` has been sent, a lost answer is "unknown".
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, TypeVar

import httpx
from pydantic import AfterValidator, Field

from nashra.errors import DeliveryError
from nashra.social.channels.base import PlatformHTTPError, TemplatedChannel, classify_direct_http
from nashra.social.protocol import ChannelOptions, ErrorKind, Published, Verdict

GRAPH_URL = "https://graph.facebook.com"
GRAPH_VERSION = "v25.0"  # released 18 Feb 2026, available until 29 Jul 2028 (Meta's changelog)

RATE_LIMITED = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
"""Throttled: the app (4, 341), the user (17), the Page (32), a call family (613), or a business
use case (80000–80014: 80001 Pages, 80002 Instagram)."""
CREDENTIALS = frozenset({102, 190, 10, *range(200, 300)})
"""A token expired, revoked or invalid (190, 102), or a permission not granted (10, 200–299)."""
REFUSED = frozenset({100, 368})
"""An invalid parameter, or the account blocked for a policy violation: the same post fails again."""
TRANSIENT = frozenset({1, 2})
"""Meta's "unknown" and "service" errors: temporary downtime, by Meta's own advice."""
DUPLICATE_POST = 506
"""Meta refuses a post identical to the one just made: this post is already there."""

USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")
REGAIN_ACCESS = "estimated_time_to_regain_access"  # minutes


def _absolute(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL, e.g. https://graph.facebook.com")
    return value.rstrip("/")


ApiVersion = Annotated[str, Field(pattern=r"^v\d+\.\d+$", description="pinned API version, e.g. v25.0")]
BaseUrl = Annotated[str, AfterValidator(_absolute)]


class GraphOptions(ChannelOptions):
    """The keys every Meta channel has; each adapter adds its account id and its defaults."""

    access_token_env: str
    api_version: ApiVersion = GRAPH_VERSION
    base_url: BaseUrl = GRAPH_URL
    timeout_seconds: Annotated[float, Field(gt=0)] = 30


class ContainerOptions(GraphOptions):
    """How long to wait for Meta to process a media container before publishing it."""

    container_checks: Annotated[int, Field(ge=1, le=30)] = 5
    container_check_seconds: Annotated[float, Field(ge=0, le=60)] = 2


def regain_access_seconds(headers: httpx.Headers) -> float | None:
    """How long Meta says a throttled caller must wait: the longest `estimated_time_to_regain_access`
    (minutes) in the usage headers, or a `Retry-After` (seconds); None when neither says."""
    waits = [60 * minutes for name in USAGE_HEADERS for minutes in _estimates(_json(headers.get(name)))]
    retry_after = headers.get("retry-after", "")
    if retry_after.isdigit():
        waits.append(float(retry_after))
    return max(waits, default=None)


def _json(text: str | None) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _estimates(usage: object) -> Iterator[float]:
    """Every positive estimate in a usage header, flat (`X-Page-Usage`) or per business object
    (`X-Business-Use-Case-Usage`: `{"<id>": [{"type": "pages", …}]}`)."""
    if isinstance(usage, list):
        for item in usage:
            yield from _estimates(item)
    elif isinstance(usage, dict):
        minutes = usage.get(REGAIN_ACCESS)
        if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
            yield float(minutes)
        for value in usage.values():
            if isinstance(value, list | dict):
                yield from _estimates(value)


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class GraphError(PlatformHTTPError):
    """A Graph API error answer: its HTTP status, Meta's code and subcode, and how long to wait."""

    def __init__(self, status: int, error: dict[str, Any], reason: str, retry_after: float | None) -> None:
        self.code = _number(error.get("code"))
        self.subcode = _number(error.get("error_subcode"))
        self.transient = error.get("is_transient") is True
        details = [
            f"{label} {value}"
            for label, value in (
                ("code", self.code),
                ("subcode", self.subcode),
                ("fbtrace_id", error.get("fbtrace_id")),
            )
            if value is not None
        ]
        message = str(error.get("message") or reason)
        super().__init__(status, f"{message} ({', '.join(details)})" if details else message, retry_after)


class NotYetPublished(Exception):
    """A step before `…_publish` failed: no post can exist yet, so trying again is safe."""


def answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a successful answer, else GraphError.

    A 2xx whose body is not a JSON object is left to raise: the posting loop records a crash as
    "unknown", never as posted.
    """
    if response.is_success:
        return dict(response.json())
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    reason = response.text[:300] if body is None and response.text else response.reason_phrase
    wait = regain_access_seconds(response.headers)
    raise GraphError(response.status_code, error if isinstance(error, dict) else {}, reason, wait)


@dataclass(frozen=True, slots=True)
class Graph:
    """One account's calls to one Graph host at its pinned version."""

    http: httpx.Client
    root: str
    token: str = field(repr=False)
    timeout: httpx.Timeout

    def get(self, node: str, *, fields: str) -> dict[str, Any]:
        return answer(
            self.http.get(
                f"{self.root}/{node}", params={"fields": fields}, headers=self._auth, timeout=self.timeout
            )
        )

    def post(self, edge: str, data: dict[str, str]) -> dict[str, Any]:
        """A form-encoded POST (UTF-8): how every Graph write is documented."""
        return answer(
            self.http.post(f"{self.root}/{edge}", data=data, headers=self._auth, timeout=self.timeout)
        )

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def classify_graph(error: Exception, *, unstated_wait: float) -> Verdict | None:
    """Verdict for what a Graph call raised; `unstated_wait` (seconds) when Meta throttles without
    saying for how long. None for errors that are not Graph's or the network's."""
    if isinstance(error, GraphError):
        message, status = str(error), error.status
        if error.code == DUPLICATE_POST:
            return Verdict(ErrorKind.DUPLICATE, message, status=status)
        if error.code in RATE_LIMITED or status == 429:
            wait = error.retry_after if error.retry_after is not None else unstated_wait
            return Verdict(ErrorKind.RETRY, message, status=status, retry_after=wait)
        if error.code in CREDENTIALS or (error.code is None and status in (401, 403)):
            return Verdict(ErrorKind.AUTH, message, status=status)
        if error.code not in REFUSED and (error.code in TRANSIENT or error.transient or status >= 500):
            return Verdict(ErrorKind.RETRY, message, status=status)
        return Verdict(ErrorKind.BAD_REQUEST, message, status=status)
    if isinstance(error, NotYetPublished):
        return Verdict(ErrorKind.RETRY, str(error))
    return classify_direct_http(error)


GraphOptionsT = TypeVar("GraphOptionsT", bound=GraphOptions)


class GraphChannel(TemplatedChannel[GraphOptionsT]):
    """Base of the Meta adapters: the Graph client of the channel's account, and its verdicts."""

    dedupes = False

    def graph(self) -> Graph:
        o = self.options
        return Graph(
            self.context.http,
            f"{o.base_url}/{o.api_version}",
            self.secret(o.access_token_env),
            self.timeout(o.timeout_seconds),
        )

    def verify_node(self, node: str, fields: str, describe: Callable[[dict[str, Any]], str]) -> str:
        """`nashra check`: GET `node` with the channel's token and say what answered, or Unverified
        naming the request and Meta's refusal. Reading the account proves both token and id."""
        request = f"GET /{self.options.api_version}/{node}?fields={fields}"
        found = self.checked(request, lambda: self.graph().get(node, fields=fields))
        return f"{request} at {self.options.base_url}: {describe(found)}"

    def classify_error(self, error: Exception) -> Verdict | None:
        return classify_graph(error, unstated_wait=self.config.max_wait_seconds) or super().classify_error(
            error
        )


ContainerOptionsT = TypeVar("ContainerOptionsT", bound=ContainerOptions)


class ContainerChannel(GraphChannel[ContainerOptionsT]):
    """Instagram and Threads: create a media container, wait until Meta has processed it, publish it."""

    container_edge: ClassVar[str]
    publish_edge: ClassVar[str]
    status_fields: ClassVar[tuple[str, str]]
    """(state, its explanation) of a container: Instagram's `status_code` and `status`, Threads'
    `status` and `error_message`."""

    @abstractmethod
    def account_id(self) -> str:
        """The user id the container and the publish are made for."""

    def publish_container(self, media: dict[str, str]) -> Published:
        graph = self.graph()
        account = self.account_id()
        try:
            container = str(graph.post(f"{account}/{self.container_edge}", media)["id"])
            self._wait_until_ready(graph, container)
        except httpx.TransportError as exc:
            raise NotYetPublished(f"{type(exc).__name__} before publishing: {exc}") from exc
        published = graph.post(f"{account}/{self.publish_edge}", {"creation_id": container})
        return Published(remote_id=str(published["id"]))

    def _wait_until_ready(self, graph: Graph, container: str) -> None:
        """Return once the container is FINISHED, checking at most `container_checks` times; a
        container that failed is a refused post, one still processing or expired is tried again."""
        state_field, detail_field = self.status_fields
        state = ""
        for check in range(self.options.container_checks):
            if check:
                time.sleep(self.options.container_check_seconds)
            status = graph.get(container, fields=f"{state_field},{detail_field}")
            state = str(status.get(state_field) or "")
            if state == "FINISHED":
                return
            if state == "ERROR":
                detail = status.get(detail_field) or "no reason given"
                raise DeliveryError(f"Meta could not process the media of container {container}: {detail}")
            if state == "EXPIRED":
                break
        raise NotYetPublished(f"container {container} not ready to publish ({state or 'no status'})")

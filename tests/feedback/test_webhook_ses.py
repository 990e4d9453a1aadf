"""Amazon SES through SNS (nashra.feedback.services.ses, .sns) on a live app, SQLite and PostgreSQL.

SNS signs with an RSA key whose certificate it names by URL; here a key and a self-signed
certificate are made in the test and "Amazon" is an httpx MockTransport in place of the runtime's
client, answering for sns.eu-west-1.amazonaws.com and noting every URL fetched. So the checks are
the real ones, with the default host allowlist, and the tests can tell that nothing was fetched
for a post from an unknown topic or naming a certificate elsewhere."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from feedback.webhookkit import DOMAIN, ISSUE, SAMIR, SECRET, Site
from nashra.config.webhooks import SesWebhook
from nashra.feedback.services import Posted
from nashra.feedback.services.marks import Marks
from nashra.feedback.services.ses import Ses
from nashra.mail.verp import Verp
from nashra.store.feedback import Kind
from nashra.store.subscribers import SubscriberStatus

TOPIC = "arn:aws:sns:eu-west-1:123456789012:nashra-feedback"
TOML = f'[feedback.webhooks.ses]\nenabled = true\ntopic_arns = ["{TOPIC}"]\n'
VERP_TOML = '[mail]\nverp = true\nreturn_path = "bounces@nashra.example"\n\n' + TOML
HOST = "https://sns.eu-west-1.amazonaws.com"
CERT_URL = f"{HOST}/SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem"
SUBSCRIBE_URL = f"{HOST}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e2"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}


def certificate(key: rsa.RSAPrivateKey, *, expired: bool = False) -> bytes:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    valid_until = now - timedelta(days=1) if expired else now + timedelta(days=30)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=60))
        .not_valid_after(valid_until)
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(Encoding.PEM)


class FakeAws:
    """Serves the signing certificate and confirms subscriptions; remembers every URL asked for."""

    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.fetched: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.fetched.append(str(request.url))
        if request.url.path.endswith(".pem"):
            return httpx.Response(200, content=self.pem)
        if request.url.params.get("Action") == "ConfirmSubscription":
            return httpx.Response(200, text="<ConfirmSubscriptionResponse/>")
        return httpx.Response(404)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


def sns(
    kind: str,
    message: str,
    *,
    key: rsa.RSAPrivateKey = KEY,
    version: str = "1",
    at: datetime | None = None,
    **fields: str,
) -> dict[str, str]:
    """An SNS message signed as AWS documents it: "Name\\nvalue\\n" for each signed field present."""
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    body = {
        "Type": kind,
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": message,
        "Timestamp": stamp,
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        **fields,
    }
    if kind == "SubscriptionConfirmation":
        body.setdefault("Token", "2336412f37fb687f5d51e6e2")
        body.setdefault("SubscribeURL", SUBSCRIBE_URL)
    text = "".join(f"{name}\n{body[name]}\n" for name in SIGNED[kind] if name in body)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    return {**body, "Signature": base64.b64encode(signature).decode()}


def bounce(*, source: str = "bounces@nashra.example") -> str:
    """SES's bounce notification for Samir's copy of issue 7."""
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": SAMIR,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-12-02T08:00:01.000Z",
                "feedbackId": "0102015fd91a6479-ae22395c-1f7d-4423-a9e5-e0715bffc731-000000",
            },
            "mail": {
                "timestamp": "2026-12-02T08:00:00.000Z",
                "source": source,
                "messageId": "0102015fd91a5ca3-93c245fe-e333-46ae-8fed-96160d20cfab-000000",
                "destination": [SAMIR],
            },
        }
    )


def complaint(site: Site) -> str:
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": SAMIR}],
                "timestamp": "2026-12-02T09:00:00.000Z",
                "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
                "complaintFeedbackType": "abuse",
            },
            "mail": {"source": "newsletter@nashra.example", "commonHeaders": {"messageId": site.message_id}},
        }
    )


def post(site: Site, message: dict[str, Any]) -> int:
    headers = {"x-amz-sns-message-type": message.get("Type", ""), "content-type": "text/plain; charset=UTF-8"}
    return site.client.post(
        "/webhooks/ses", content=json.dumps(message).encode(), headers=headers
    ).status_code


@pytest.fixture
def aws() -> FakeAws:
    return FakeAws(certificate(KEY))


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_bounce_suppresses_with_ses_reason_once(
    make_site: Callable[..., Site], aws: FakeAws, version: str
) -> None:
    site = make_site(VERP_TOML, http=aws.client())
    envelope_sender = Verp(SECRET, "bounces@nashra.example").address(ISSUE, site.samir)
    message = sns("Notification", bounce(source=envelope_sender), version=version)

    assert post(site, message) == 200

    assert site.status() == (
        SubscriberStatus.BOUNCED,
        "hard bounce (ses): Permanent/General 5.1.1 smtp; 550 5.1.1 user unknown",
    )
    assert site.stored() == [("ses", "hard_bounce", ISSUE, "suppressed")]  # the issue, from the VERP sender
    # Replayed within the age limit: the same notification, already stored; the certificate was
    # kept, not fetched again.
    assert post(site, message) == 200
    assert site.reports() == 1
    assert aws.fetched == [CERT_URL]


def test_a_signed_complaint_marks_complained_for_its_issue(
    make_site: Callable[..., Site], aws: FakeAws
) -> None:
    site = make_site(TOML, http=aws.client())

    assert (
        post(site, sns("Notification", complaint(site), version="2", Subject="Amazon SES Email Event")) == 200
    )

    assert site.status() == (SubscriberStatus.COMPLAINED, "spam complaint (ses): abuse")
    assert site.stored() == [("ses", "complaint", ISSUE, "suppressed")]  # the issue, from the Message-ID


def test_forged_messages_are_refused_and_change_nothing(make_site: Callable[..., Site], aws: FakeAws) -> None:
    site = make_site(TOML, http=aws.client())
    genuine = sns("Notification", bounce())
    elsewhere = {
        "http": "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "another host": "https://attacker.example/SimpleNotificationService-1.pem",
        "a look-alike host": "https://sns.eu-west-1.amazonaws.com.attacker.example/cert.pem",
        "a port": "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "a user": "https://x@sns.eu-west-1.amazonaws.com/cert.pem",
        "loopback": "https://127.0.0.1/cert.pem",
    }

    fetched_for: dict[str, list[str]] = {}

    def answer(case: str, message: dict[str, Any]) -> int:
        before = len(aws.fetched)
        status = post(site, message)
        fetched_for[case] = aws.fetched[before:]
        return status

    answers = {
        "unknown topic": answer("unknown topic", sns("Notification", bounce(), TopicArn=TOPIC + "-x")),
        **{
            f"certificate from {case}": answer(case, sns("Notification", bounce(), SigningCertURL=url))
            for case, url in elsewhere.items()
        },
        "stale": answer("stale", sns("Notification", bounce(), at=datetime.now(UTC) - timedelta(minutes=16))),
        "not SNS": answer("not SNS", {"notificationType": "Bounce"}),
        "another key": answer("another key", sns("Notification", bounce(), key=OTHER_KEY)),
        "message altered": answer("message altered", {**genuine, "Message": complaint(site)}),
        "version 3": answer("version 3", {**genuine, "SignatureVersion": "3"}),
        "signature not ASCII": answer(
            "signature not ASCII", {**genuine, "Signature": "١" + genuine["Signature"]}
        ),
    }

    assert answers == {
        "unknown topic": 403,
        **{f"certificate from {case}": 403 for case in elsewhere},
        "stale": 400,
        "not SNS": 400,
        "another key": 403,
        "message altered": 403,
        "version 3": 403,
        "signature not ASCII": 403,
    }
    # Nothing was fetched but Amazon's certificate, and that only for posts worth checking.
    assert {case: urls for case, urls in fetched_for.items() if urls} == {"another key": [CERT_URL]}
    assert site.untouched()  # 0 forged events accepted


def test_an_expired_signing_certificate_is_refused(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML, http=FakeAws(certificate(KEY, expired=True)).client())
    assert post(site, sns("Notification", bounce())) == 403
    assert site.untouched()


def test_a_subscription_is_confirmed_only_for_a_listed_topic_from_amazon(
    make_site: Callable[..., Site], aws: FakeAws
) -> None:
    site = make_site(TOML, http=aws.client())
    message = "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL."

    assert post(site, sns("SubscriptionConfirmation", message, TopicArn=TOPIC + "-x")) == 403
    assert (
        post(site, sns("SubscriptionConfirmation", message, SubscribeURL="https://attacker.example/c")) == 403
    )
    assert aws.fetched == [CERT_URL]  # the second was checked, its link not followed
    assert post(site, sns("SubscriptionConfirmation", message)) == 200

    assert aws.fetched == [CERT_URL, SUBSCRIBE_URL]
    assert site.untouched()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("sns.eu-west-1.amazonaws.com", True),
        ("sns.cn-north-1.amazonaws.com.cn", True),
        ("sns.us-gov-west-1.amazonaws.com", True),
        ("sns.eu-west-1.amazonaws.com.attacker.example", False),
        ("attacker.example", False),
        ("sqs.eu-west-1.amazonaws.com", False),
        ("127.0.0.1", False),
        ("localhost", False),
    ],
)
def test_by_default_only_amazons_sns_hosts_are_allowed(host: str, allowed: bool) -> None:
    assert SesWebhook().allows_host(host) is allowed


def test_ses_needs_its_topics_and_a_pattern_that_compiles() -> None:
    with pytest.raises(ValueError, match="topic_arns: name the SNS topics"):
        SesWebhook(enabled=True)
    with pytest.raises(ValueError, match="not an SNS topic ARN"):
        SesWebhook(topic_arns=["nashra-feedback"])
    with pytest.raises(ValueError, match="not a regular expression"):
        SesWebhook(cert_host_pattern="sns.(")


@pytest.mark.parametrize(
    ("notification", "kinds"),
    [
        ({"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}}, [Kind.HARD_BOUNCE]),
        ({"notificationType": "Bounce", "bounce": {"bounceType": "Transient"}}, [Kind.SOFT_BOUNCE]),
        ({"notificationType": "Bounce", "bounce": {"bounceType": "Undetermined"}}, [Kind.SOFT_BOUNCE]),
        (
            {"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}},
            [Kind.HARD_BOUNCE],
        ),  # event publishing
        ({"notificationType": "Complaint", "complaint": {}}, [Kind.COMPLAINT]),
        ({"notificationType": "Delivery", "delivery": {}}, []),
        ({"eventType": "Open", "open": {}}, []),
    ],
)
def test_notifications_map_to_kinds(aws: FakeAws, notification: dict[str, Any], kinds: list[Kind]) -> None:
    service = Ses(SesWebhook(enabled=True, topic_arns=[TOPIC]), Marks(DOMAIN, None), aws.client())
    for body in notification.values():
        if isinstance(body, dict):
            body["bouncedRecipients" if "bounceType" in body else "complainedRecipients"] = [
                {"emailAddress": SAMIR},
                {"emailAddress": "leila@example.org"},
            ]
    notification["mail"] = {"commonHeaders": {"messageId": f"<{ISSUE}.42.0123456789ab@{DOMAIN}>"}}
    message = sns("Notification", json.dumps(notification))

    reports = service.receive(Posted(json.dumps(message).encode(), {}), datetime.now(UTC))

    assert [r.kind for r in reports] == [kind for kind in kinds for _ in range(2)]
    # One message for two recipients: its Message-ID names the issue, not which of them.
    assert {(r.email, r.subscriber_id, r.issue_id) for r in reports} == (
        {(SAMIR, None, ISSUE), ("leila@example.org", None, ISSUE)} if kinds else set()
    )

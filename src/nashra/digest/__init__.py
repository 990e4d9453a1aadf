"""Digests: compose (which articles), render (Jinja2 + MJML -> HTML + text), record issues.

The sending step (mail) uses exactly this surface: `prepare_digest` -> `record_issue` ->
`mark_issue("sending")` -> deliver `issue.html`/`issue.text` with the placeholder tokens filled per
recipient -> `mark_issue("sent")` -> `write_archive`; after a crash, `open_issue` resumes.
"""

from nashra.digest.archive import write_archive
from nashra.digest.issues import load_issue, mark_issue, open_issue, record_issue
from nashra.digest.prepare import configured_digests, find_digest, prepare_digest
from nashra.digest.render import RenderedDigest
from nashra.store.digests import IssueRecord

__all__ = [
    "IssueRecord",
    "RenderedDigest",
    "configured_digests",
    "find_digest",
    "load_issue",
    "mark_issue",
    "open_issue",
    "prepare_digest",
    "record_issue",
    "write_archive",
]

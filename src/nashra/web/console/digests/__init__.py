"""The digests' console pages: the list and each digest's page (pages), the editors' actions
(actions), an issue's live progress (issue) and the admins' schedule form (schedules). Importing
the package registers all their routes (registry.PAGE_MODULES names it once)."""

from nashra.web.console.digests import actions, issue, pages, schedules

__all__ = ["actions", "issue", "pages", "schedules"]

"""Default templates (Jinja2 + MJML), shipped as package data; operators override them by path."""

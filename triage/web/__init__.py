"""The web application: citizens' tracking pages, the mediator's workspace, a health endpoint."""

from triage.web import security as _security  # noqa: F401  (registers the "id" path convertor before any route)

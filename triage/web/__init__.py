"""The web application: citizens' tracking pages, the mediator's workspace, a health endpoint."""

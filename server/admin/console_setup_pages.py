"""Imports the console's set-up, group-robot, log and job pages so their views register on the
console blueprint (create_app imports this module once)."""

from server.admin import (  # noqa: F401
    console_catalogue,
    console_channels,
    console_display,
    console_export_pages,
    console_grids,
    console_logs,
    console_members,
)

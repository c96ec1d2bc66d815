"""Imports the console's set-up, group-robot, log and job pages so their views register on the
console blueprint (create_app imports this module once)."""

from server.admin import console_catalogue, console_display, console_grids  # noqa: F401

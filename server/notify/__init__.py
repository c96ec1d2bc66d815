"""Notifications: the community's and the grids' WeCom group robots (channels), deliveries of
outbox events to them with retries and dead letters, and the robot client. The outbox itself
is plumbing (server/outbox)."""

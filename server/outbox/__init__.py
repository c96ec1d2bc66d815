"""The transactional outbox: every domain event written with the change that caused it
(`emit.emit_event`), checked against schemas/events.json. Plumbing every domain uses; the
notification work (server/notify) reads it."""

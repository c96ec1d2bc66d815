"""HTTP plumbing: the Api, errors, pagination, rate limits, idempotency keys and health."""

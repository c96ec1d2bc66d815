"""Platform plumbing: configuration, logging, local time, masking and Redis."""

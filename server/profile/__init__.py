"""The `/me` read model: the caller's profile, read across every domain.

It sits above the domains: it imports auth, community, points and tasks, and no domain imports
it. Writers mark changed profiles through server/platform/profile_versions.py instead.
"""

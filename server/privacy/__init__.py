"""Residents' data rights under PIPL: export one's own data, delete one's own account.

It sits above the domains (like server/profile): it reads every domain's rows about one
person and, to delete an account, calls the domains' own write paths (the ledger's release
through rewards.closing, uploads' own delete). See docs/privacy.md.
"""

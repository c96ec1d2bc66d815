from tests.write_paths import write_path  # noqa: F401  (the ledger's writes on both paths)

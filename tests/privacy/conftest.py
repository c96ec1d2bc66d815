from tests.write_paths import write_path  # noqa: F401  (deletion races both ledger paths)

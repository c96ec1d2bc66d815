from tests.write_paths import write_path  # noqa: F401  (reserve and verify on both paths)

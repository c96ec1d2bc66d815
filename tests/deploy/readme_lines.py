"""Shell lines the docs promise work, taken verbatim from between their markers."""

import re
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def marked_block(path: Path, name: str) -> str:
    """The fenced code between `<!-- name:begin -->` and `<!-- name:end -->`."""
    text = path.read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- {name}:begin -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->", text, re.S
    )
    assert found, f"no {name} block in {path.name}"
    return found.group(1)


def substitute(script: str, replacements: dict[str, str]) -> str:
    """Swap fixed names (ports, database) for scratch ones; each must occur in the docs."""
    for old, new in replacements.items():
        assert old in script, f"the documented lines no longer contain {old!r}"
        script = script.replace(old, new)
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

# Sourced by the scripts: make sure .venv exists and holds the project with its dev extra.
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-python3}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
    echo "==> creating .venv"
    "$PY" -m venv "$ROOT/.venv"
fi
stamp="$ROOT/.venv/.redpoints-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing Python dependencies"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check -e "$ROOT[dev]"
    echo "$want" > "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"

"""The vocabulary of the table: who an entry allows, and what a refusal may answer."""

from dataclasses import dataclass, field
from typing import Any

# Who may succeed. The walk sends the request as every other refusable actor and expects a
# refusal; it also sends it once as `by` (default: the first allowed insider) and expects 2xx.
DEMO_STAFF = {"admin", "reviewer", "grid", "staff"}
DEMO = {"owner", "resident", "other_staff", "other_grid", "organiser", *DEMO_STAFF}
SIGNED_IN = DEMO | {"outsider", "outside_reviewer", "outside_admin"}
ACTING = {"acting_stranger", "acting_resident", "acting_outside_admin"}
EVERYONE = SIGNED_IN | ACTING | {"anonymous", "deactivated"}
ADMIN = {"admin"}
# Routes without a community in the path act in the caller's own community, so another
# community's admin (or reviewer) succeeds there, on their own rows.
ANY_ADMIN = {"admin", "outside_admin"}
ANY_REVIEWERS = {"admin", "reviewer", "outside_admin", "outside_reviewer"}
REVIEWERS = {"admin", "reviewer"}
ORGANISERS = {"admin", "reviewer", "grid", "other_grid", "organiser"}  # default organiser roles
GRID_WORKERS = {"grid", "other_grid"}

# What a refusal answers: 401 when there is no valid, active user; otherwise 403 (not yours to
# do) or 404 (not yours to see, so it does not exist for you). An entry may widen this for an
# actor, saying why, e.g. 409 when the object's state refuses before anyone's rights are asked.
UNAUTHENTICATED = frozenset({401})
FORBIDDEN = frozenset({403, 404})
NO_USER = {"anonymous", "deactivated"}


@dataclass(frozen=True)
class Rule:
    allow: set[str]
    by: str | None = None  # the actor whose success is checked; None: the first allowed
    body: Any = None  # callable(ids) -> JSON body; None: generated from the contract
    ids: dict[str, str] = field(default_factory=dict)  # path parameter -> world attribute
    refuse: dict[str, frozenset[int]] = field(default_factory=dict)  # widened refusals
    unchecked: str = ""  # why no success is checked (then `by` is not called)
    query: dict[str, str] = field(default_factory=dict)  # query string sent with the request
    writes: frozenset[str] = frozenset()  # tables a refusal may write, by design (say why)

    def expected_refusal(self, actor: str) -> frozenset[int]:
        if actor in NO_USER:
            return UNAUTHENTICATED
        return self.refuse.get(actor, FORBIDDEN)

    def success_actor(self) -> str | None:
        if self.unchecked:
            return None
        if self.by:
            return self.by
        order = ["owner", "admin", "reviewer", "grid", "staff", "resident", "organiser"]
        return next(a for a in order + sorted(self.allow) if a in self.allow)


def also(statuses: set[int], *actors: str) -> dict[str, frozenset[int]]:
    """Widen the refusal answers of `actors` to FORBIDDEN plus `statuses`."""
    return {a: FORBIDDEN | frozenset(statuses) for a in actors}

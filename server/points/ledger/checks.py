"""What the ledger refuses before it writes: bad amounts, reasons and keys, and its errors."""

from server.http.errors import Conflict, Unprocessable

MAX_AMOUNT = 1_000_000
MAX_REASON_LENGTH = 200
MAX_KEY_LENGTH = 160


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", "可用积分不足"


class IdempotencyConflict(Conflict):
    code, message = "idempotency_conflict", "该请求编号已用于其他操作，请勿重复使用"


class HoldNotPending(Conflict):
    code, message = "hold_not_pending", "该积分冻结已处理，不能重复操作"


class EntryNotReversible(Conflict):
    code, message = "entry_not_reversible", "该记录不能冲正"


class AlreadyReversed(Conflict):
    code, message = "already_reversed", "该记录已冲正，不能重复冲正"


def check_amount(amount) -> int:
    """Points are whole numbers from 1 to MAX_AMOUNT (bool is an int in Python: refused)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise Unprocessable("积分必须是整数", code="invalid_amount", details={"amount": amount})
    if not 1 <= amount <= MAX_AMOUNT:
        raise Unprocessable(
            f"积分数量应在 1 到 {MAX_AMOUNT} 之间",
            code="invalid_amount",
            details={"amount": amount, "min": 1, "max": MAX_AMOUNT},
        )
    return amount


def check_reason(reason) -> str:
    """A reason is required text of at most 200 characters; returned stripped."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_LENGTH:
        raise Unprocessable("请填写原因（不超过 200 字）", code="invalid_reason")
    return reason.strip()


def check_key(idempotency_key) -> str:
    """An idempotency key is non-empty text of at most MAX_KEY_LENGTH characters."""
    if (
        not isinstance(idempotency_key, str)
        or not idempotency_key
        or len(idempotency_key) > MAX_KEY_LENGTH
    ):
        raise Unprocessable("请求编号无效", code="invalid_idempotency_key")
    return idempotency_key

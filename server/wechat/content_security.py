"""WeChat content security (msg_sec_check v2) for texts residents publish.

A check never loses the resident's submission: when WeChat is down or answers with an error,
the verdict is `unavailable` and the caller holds the text for manual review.
"""

import logging
from dataclasses import dataclass

import requests
from wechatpy.exceptions import WeChatClientException

from server.wechat.client import get_client

log = logging.getLogger(__name__)

# Scenes of msg_sec_check v2: 1 profile, 2 comment, 3 forum post, 4 social log.
SCENE_PROFILE, SCENE_COMMENT, SCENE_FORUM, SCENE_SOCIAL_LOG = 1, 2, 3, 4
MAX_CONTENT = 2500
OVERLAP = 50
SUGGESTIONS = ("pass", "review", "risky", "unavailable")
# A text nobody could check is held like one WeChat wants reviewed; risky is the worst.
SEVERITY = {"pass": 0, "review": 1, "unavailable": 1, "risky": 2}


@dataclass(frozen=True)
class Verdict:
    """WeChat's suggestion for one text: pass, review, risky, or unavailable (no answer)."""

    suggest: str
    label: int | None = None
    trace_id: str | None = None

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"


def check_text(content: str, *, openid: str, scene: int = SCENE_FORUM) -> Verdict:
    """Ask msg_sec_check v2 about `content`; never raises for a WeChat failure.

    Texts longer than WeChat's limit are checked in overlapping pieces (so no word is cut in
    two unseen); the worst verdict wins.
    """
    content = content.strip()
    if not content:
        return Verdict("pass", 100)
    client = get_client()
    worst = None
    step = MAX_CONTENT - OVERLAP
    for start in range(0, max(len(content) - OVERLAP, 1), step):
        verdict = _check_piece(client, content[start : start + MAX_CONTENT], openid, scene)
        if worst is None or SEVERITY[verdict.suggest] > SEVERITY[worst.suggest]:
            worst = verdict
    return worst


def _check_piece(client, piece: str, openid: str, scene: int) -> Verdict:
    data = {"content": piece, "version": 2, "scene": scene, "openid": openid}
    try:
        result = client.post("wxa/msg_sec_check", data=data, api_base_url=client.api_base)
    except (WeChatClientException, requests.RequestException, ValueError) as exc:
        errcode = getattr(exc, "errcode", None)
        log.warning("wechat msg_sec_check failed", extra={"errcode": errcode})
        return Verdict("unavailable")
    verdict = result.get("result") if isinstance(result, dict) else None
    suggest = verdict.get("suggest") if isinstance(verdict, dict) else None
    if suggest not in ("pass", "review", "risky"):
        log.warning("wechat msg_sec_check answered without a verdict")
        return Verdict("unavailable")
    label = verdict.get("label")
    trace_id = result.get("trace_id")
    return Verdict(
        suggest,
        label if isinstance(label, int) else None,
        trace_id if isinstance(trace_id, str) else None,
    )

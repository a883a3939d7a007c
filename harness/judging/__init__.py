"""Judging: rubrics, blind prompts, reply parsing and the judge modes."""

from ._ask import JudgeAnswer, ask_with_repair
from ._blinding import MASK_TOKEN, IdentityMask, identity_terms
from ._packet import (
    PacketJudge,
    PacketRubric,
    load_packet_rubric,
    parse_packet_reply,
    shuffled_labels,
)
from ._parse import ReplyError, extract_json_object, parse_pointwise_reply
from ._pointwise import PointwiseJudge, build_judge_messages
from ._rubric import Criterion, PointwiseRubric, Scale, fill_template, load_rubric

__all__ = [
    "JudgeAnswer",
    "ask_with_repair",
    "MASK_TOKEN",
    "Criterion",
    "IdentityMask",
    "PacketJudge",
    "PacketRubric",
    "PointwiseJudge",
    "load_packet_rubric",
    "parse_packet_reply",
    "shuffled_labels",
    "PointwiseRubric",
    "ReplyError",
    "Scale",
    "build_judge_messages",
    "extract_json_object",
    "fill_template",
    "identity_terms",
    "load_rubric",
    "parse_pointwise_reply",
]

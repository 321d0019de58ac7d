"""split_message (bytes, boundaries, markers) and RateLimiter (token arithmetic on an injected clock)."""

from __future__ import annotations

import random
import re
import threading
import unicodedata

import pytest

from alerts.channels import RateLimiter, part_marker, split_message

MARKER = re.compile(r"\n\n\((\d+)/(\d+)\)$")


def unmark(parts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The text without markers, and the (i, n) pairs read from the parts."""
    texts, pairs = [], []
    for part in parts:
        match = MARKER.search(part)
        assert match, f"part without marker: {part[-40:]!r}"
        pairs.append((int(match.group(1)), int(match.group(2))))
        texts.append(part[: match.start()])
    return "".join(texts), pairs


def check(body: str, max_bytes: int) -> list[str]:
    """Every property split_message promises, for any body and limit."""
    parts = split_message(body, max_bytes)
    for part in parts:
        assert len(part.encode("utf-8")) <= max_bytes
    if len(body.encode("utf-8")) <= max_bytes:
        assert parts == [body]
        return parts
    text, pairs = unmark(parts)
    assert text == body
    count = len(parts)
    assert pairs == [(i, count) for i in range(1, count + 1)]
    for i, part in enumerate(parts, start=1):
        assert part.endswith(part_marker(i, count))
    return parts


def chinese_report(paragraphs: int, seed: int = 7) -> str:
    """A long alert digest in Chinese: paragraphs of sentences ending in 。, with line breaks."""
    rng = random.Random(seed)
    words = [
        "权利要求",
        "技术特征",
        "终端",
        "基站",
        "随机接入",
        "能力指示",
        "规范",
        "条款",
        "修改",
        "版本",
        "降低能力终端",
        "逻辑信道标识",
        "公共控制信道",
        "网络",
        "发送",
        "接收",
        "消息",
        "审查意见",
    ]
    out = []
    for p in range(paragraphs):
        lines = []
        for _ in range(rng.randint(2, 5)):
            sentence = "".join(rng.choice(words) for _ in range(rng.randint(8, 20)))
            lines.append(f"{sentence}，{''.join(rng.choice(words) for _ in range(6))}。")
        out.append(f"第{p + 1}项：" + "\n".join(lines))
    return "\n\n".join(out)


def test_a_body_that_fits_is_returned_whole_without_marker() -> None:
    body = "新匹配：EP3000000 权利要求1 — 全部技术特征均被覆盖"
    assert split_message(body, len(body.encode())) == [body]
    assert split_message("", 100) == [""]


@pytest.mark.parametrize("limit", [4096, 20000, 3840])
def test_fifty_kilobytes_of_chinese_for_wecom_and_dingtalk(limit: int) -> None:
    body = chinese_report(140)
    size = len(body.encode("utf-8"))
    assert size > 50_000
    parts = check(body, limit)
    # As few parts as the limit allows, give or take the room left by paragraph cuts.
    assert -(-size // limit) <= len(parts) <= 2 * -(-size // limit)
    # Every cut but the last falls after a paragraph break (there is one in every half part).
    text_parts = [MARKER.sub("", p) for p in parts]
    assert all(t.endswith("\n\n") for t in text_parts[:-1])
    # A part starts with a paragraph's number, as the reader expects.
    assert all(re.match(r"第\d+项：", t) for t in text_parts)


def test_line_breaks_are_preferred_when_there_are_no_paragraphs() -> None:
    body = "\n".join(f"第{i}行：降低能力终端在随机接入过程中提供能力指示。" for i in range(400))
    parts = check(body, 1000)
    assert all(MARKER.sub("", p).endswith("\n") for p in parts[:-1])


def test_sentences_are_preferred_in_one_long_line() -> None:
    chinese = "终端在随机接入过程中向网络提供降低能力指示。" * 300
    parts = check(chinese, 2000)
    assert all(MARKER.sub("", p).endswith("。") for p in parts[:-1])
    english = "The UE shall provide the indication during random access. " * 300
    parts = check(english, 1500)
    assert all(MARKER.sub("", p).endswith(". ") for p in parts[:-1])


def test_words_are_kept_whole_in_text_without_sentences() -> None:
    body = " ".join(f"feature{i}" for i in range(2000))
    parts = check(body, 700)
    for part in parts[:-1]:
        assert MARKER.sub("", part).endswith(" ")


def test_text_without_any_boundary_is_cut_between_characters_and_fills_each_part() -> None:
    body = "权" * 20_000  # 60,000 bytes, no space, no punctuation
    parts = check(body, 4096)
    for part in parts[:-1]:
        # Full to within one character (3 bytes) and the markers' difference in width.
        assert len(part.encode()) > 4096 - 8


def test_a_paragraph_break_too_early_in_the_part_is_not_taken() -> None:
    # A break in the first tenth of the budget would waste the part: the cut goes later.
    body = "短段。\n\n" + "长" * 3000
    parts = check(body, 1000)
    assert len(MARKER.sub("", parts[0]).encode()) > 500


def test_no_cut_inside_a_character_cluster_or_between_cr_and_lf() -> None:
    clusters = [
        "e\u0301",  # e + combining acute
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: man ZWJ woman ZWJ girl
        "\U0001f44d\U0001f3fd",  # thumbs up, skin tone
        "\U0001f1e8\U0001f1f3",  # flag: regional indicators C N
        "\u2764\ufe0f",  # heart + variation selector
        "\r\n",
    ]
    rng = random.Random(3)
    units = [rng.choice(clusters) for _ in range(3000)]
    body = "".join(units)
    boundaries = set()
    position = 0
    for unit in units:
        position += len(unit)
        boundaries.add(position)
    for limit in (60, 97, 250, 1001):
        parts = check(body, limit)
        position = 0
        for part in parts[:-1]:
            position += len(MARKER.sub("", part))
            assert position in boundaries, f"cut inside a cluster at {position} (limit {limit})"


def test_markers_grow_from_one_to_three_digits_and_every_part_still_fits() -> None:
    body = "abcdefghij" * 150  # 1,500 bytes in 20-byte parts: over 100 parts
    parts = check(body, 20)
    assert len(parts) >= 100
    assert parts[-1].endswith(f"({len(parts)}/{len(parts)})")


def test_a_limit_too_small_for_the_marker_is_refused() -> None:
    with pytest.raises(ValueError, match="max_bytes=8"):
        split_message("x" * 100, 8)


def test_random_bodies_and_limits_keep_every_promise() -> None:
    rng = random.Random(20240601)
    alphabet = "ab c.\n。权利要求\u0301😀\r\n"
    for _ in range(300):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 2000)))
        limit = rng.randint(24, 700)
        parts = check(body, limit)
        for part in parts[1:]:
            assert unicodedata.category(part[0]) not in ("Mn", "Me")


# --- RateLimiter -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_sends_are_spaced_by_sixty_over_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(20, clock=clock)  # DingTalk: one every 3 s
    assert limiter.delay() == 0.0
    limiter.take()
    assert limiter.delay() == pytest.approx(3.0)
    clock.advance(1.0)
    assert limiter.delay() == pytest.approx(2.0)
    clock.advance(2.0)
    assert limiter.delay() == 0.0
    limiter.take()
    assert limiter.delay() == pytest.approx(3.0)


def test_idle_time_does_not_bank_more_than_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    clock.advance(3600)  # an idle hour
    limiter.take()
    assert limiter.delay() == pytest.approx(1.0)  # not 3,600 saved-up sends


def test_a_burst_allows_that_many_at_once_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock)
    for _ in range(3):
        assert limiter.try_take() == 0.0
    assert limiter.try_take() == pytest.approx(1.0)
    assert limiter.delay() == pytest.approx(1.0)  # try_take consumed nothing when refusing
    clock.advance(1.0)
    assert limiter.try_take() == 0.0


def test_a_send_taken_early_puts_the_bucket_in_debt() -> None:
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)  # 2 s per send
    limiter.take()
    limiter.take()  # sent without waiting
    assert limiter.delay() == pytest.approx(4.0)


def test_a_clock_that_steps_back_never_adds_tokens() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    limiter.take()
    clock.now -= 50
    assert limiter.delay() == pytest.approx(1.0)


def test_takes_from_many_threads_are_all_counted() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)

    def worker() -> None:
        for _ in range(2000):
            limiter.take()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert limiter.delay() == pytest.approx(16_000.0)  # 1 token - 16,000 takes, one second each


@pytest.mark.parametrize("rate, burst", [(0, 1), (10, 0)])
def test_nonsense_rates_are_refused(rate: int, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst=burst)

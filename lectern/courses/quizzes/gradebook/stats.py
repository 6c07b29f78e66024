"""Quiz statistics for the statistics page, as Moodle defines them: pure functions over attempt scores.

Scores are marks (not fractions) of finished attempts; which attempts count (all, or each cadet's first) is the
caller's choice, as it is a setting of Moodle's report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def facility_index(scores_for_question: Sequence[float], max_mark: float) -> float | None:
    """The mean fraction of the mark earned on a question, 0..1 (Moodle shows it as a percentage): how easy it
    was. None without scores or without a mark to divide by."""
    if not scores_for_question or not max_mark > 0:
        return None
    return math.fsum(s / max_mark for s in scores_for_question) / len(scores_for_question)


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    # Exact equality, not a small variance: the inputs are rounded to 7 decimals first, so float noise (such as
    # 1.3 - 0.3 = 0.9999999999999998) cannot pass for variance and report a correlation of ±1 out of nothing.
    if len(xs) < 2 or min(xs) == max(xs) or min(ys) == max(ys):
        return None
    mean_x, mean_y = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    syy = math.fsum((y - mean_y) ** 2 for y in ys)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def discrimination_index(question_scores: Sequence[float], total_scores: Sequence[float]) -> float | None:
    """Moodle's discrimination index, -1..1 (shown ×100): the Pearson correlation between the marks on this
    question and on the rest of the test (each attempt's total minus this question), so that the question does
    not correlate with itself. High means that those who did well overall did well here.

    `question_scores[i]` and `total_scores[i]` belong to the same attempt. None when undefined: fewer than two
    attempts, or everyone scored the same on the question or on the rest."""
    if len(question_scores) != len(total_scores):
        raise ValueError("question and total scores must come from the same attempts")
    xs = [round(q, 7) for q in question_scores]
    rest = [round(t - q, 7) for q, t in zip(question_scores, total_scores, strict=True)]
    return _pearson(xs, rest)


def score_distribution(percentages: Sequence[float], bins: int = 10) -> list[int]:
    """How many attempts fall in each of `bins` equal bands of 0..100 %: [0, 10), [10, 20), ... [90, 100] for 10
    (the last band includes 100). Values outside 0..100 count in the end bands."""
    if bins < 1:
        raise ValueError("at least one bin is needed")
    counts = [0] * bins
    for p in percentages:
        if not math.isfinite(p):
            raise ValueError(f"not a percentage: {p!r}")
        # A hair of slack: 70 computed as 69.99999999999999 belongs with 70, not in the band below.
        band = math.floor(p * bins / 100 + 1e-9)
        counts[min(max(band, 0), bins - 1)] += 1
    return counts

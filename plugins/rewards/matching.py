"""Order-aware one-to-one assignment of predicted calls to gold steps.

A predicted call can only be assigned to a gold step of the same function, and each side is
used at most once. Within one function, with predicted occurrences ``p_0, p_1, ...`` and gold
occurrences ``g_0, g_1, ...``, candidate pairs are taken greedily by

1. highest ``similarity(p, g)`` (the caller's argument agreement, in [0, 1]),
2. then smallest occurrence-rank distance ``|rank(p) - rank(g)|``,
3. then earliest predicted call,

so a repeated function is matched to its own occurrence (the second ``Search_Hotels`` with
the second gold ``Search_Hotels`` arguments), not to the first one; when arguments do not
discriminate, occurrence order decides. Work is ``O(P·G log(P·G))`` per function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence


def assign(
    predicted: Sequence[str | None],
    gold: Sequence[str],
    similarity: Callable[[int, int], float],
    *,
    gold_by_name: Mapping[str, Sequence[int]] | None = None,
) -> dict[int, int]:
    """Map gold positions to predicted positions (see the module docstring).

    ``predicted`` holds the function name of each predicted call (None for attempts that did
    not parse, which are never assigned); ``similarity(p, g)`` scores a same-function pair,
    in [0, 1] (a value above 1 breaks the contract: pairs of rank distance 0 that score 1
    are taken without looking further).
    ``gold_by_name`` may pass the gold positions of each function, when already grouped.
    """
    if gold_by_name is None:
        grouped: dict[str, list[int]] = {}
        for position, name in enumerate(gold):
            grouped.setdefault(name, []).append(position)
        gold_by_name = grouped
    pred_by_name: dict[str, list[int]] = {}
    for position, name in enumerate(predicted):
        if name is not None and name in gold_by_name:
            pred_by_name.setdefault(name, []).append(position)
    return assign_grouped(pred_by_name, gold_by_name, similarity)


def assign_grouped(
    pred_by_name: Mapping[str, Sequence[int]],
    gold_by_name: Mapping[str, Sequence[int]],
    similarity: Callable[[int, int], float],
) -> dict[int, int]:
    """:func:`assign` with both sides already grouped by function: ``pred_by_name`` holds
    the predicted positions of each function that ``gold_by_name`` has, in call order."""
    matched: dict[int, int] = {}
    for name, preds in pred_by_name.items():
        golds = gold_by_name[name]
        if len(golds) == 1:
            # the greedy order's first candidate: most similar, then nearest in rank (the
            # earliest prediction, as the only gold step has rank 0)
            g = golds[0]
            matched[g] = preds[0] if len(preds) == 1 else min(
                preds, key=lambda p: (-similarity(p, g), p)
            )
            continue
        if len(preds) == 1:  # likewise: most similar, then the earliest gold step
            p = preds[0]
            matched[min(golds, key=lambda g: (-similarity(p, g), g))] = p
            continue
        shared = min(len(preds), len(golds))
        for rank in range(shared):
            if similarity(preds[rank], golds[rank]) < 1.0:
                break
        else:
            # every rank-aligned pair agrees fully: being most similar (similarity is at
            # most 1) and at rank distance 0, they head the greedy order, which takes them
            for rank in range(shared):
                matched[golds[rank]] = preds[rank]
            continue
        candidates = sorted(
            (-similarity(p, g), abs(pr - gr), p, g)
            for pr, p in enumerate(preds)
            for gr, g in enumerate(golds)
        )
        used_pred: set[int] = set()
        for _, _, p, g in candidates:
            if g in matched or p in used_pred:
                continue
            matched[g] = p
            used_pred.add(p)
            if len(used_pred) == shared:
                break
    return matched

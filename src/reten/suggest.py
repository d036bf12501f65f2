"""Suggesting the name a user meant: close matches ranked by edit distance.

``difflib.get_close_matches`` ranks by a similarity ratio that can put a different name
before the one a slip of one letter came from (``Sinola`` -> ``Sonora`` before
``Sinaloa``). :func:`close_matches` keeps difflib's candidates and adds every name within
one or two edits, then ranks by the optimal string alignment distance (Damerau-Levenshtein
without repeated edits of a substring: an omitted, added, changed or swapped-adjacent
letter is one edit), ties broken by the share of letters in common (the longest common
subsequence, ``2 * LCS / (len(a) + len(b))``: ``Sinola`` keeps 5 of ``Sinaloa``'s
letters in order, 4 of ``Sonora``'s), then difflib's ratio, then the order given.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from rapidfuzz.distance import OSA, Indel


def close_matches(word: str, options: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` of ``options`` close to ``word``, the likeliest first.

    A candidate is an option whose difflib ratio is at least ``cutoff`` or whose edit
    distance (optimal string alignment) is at most 1 (at most 2 for words of 6 or more
    letters). Candidates are ranked by that distance, then by the longest common
    subsequence ratio, then by difflib's ratio, then by their order in ``options``. When
    the closest is within that edit reach, candidates more than one edit further than it
    are dropped.

    Parameters
    ----------
    word : str
        What the user wrote.
    options : iterable of str
        The valid names (already normalised as the caller compares them).
    n : int
        How many to return at most.
    cutoff : float
        difflib ratio in [0, 1] at which a name is close enough.

    Returns
    -------
    list of str
        No more than ``n`` names, no duplicates.

    Examples
    --------
    >>> close_matches("sinola", ["sonora", "sinaloa", "sonora y sinaloa"])
    ['sinaloa', 'sonora']
    >>> close_matches("tabsaco", ["tabasco", "tamaulipas"])
    ['tabasco']
    >>> close_matches("culiacna", ["culiacan", "acuna", "culiacancito"])
    ['culiacan']
    >>> close_matches("xyz", ["tabasco"])
    []
    """
    opts = list(dict.fromkeys(options))
    reach = 2 if len(word) >= 6 else 1
    ranked: list[tuple[int, float, float, int, str]] = []
    sm = difflib.SequenceMatcher()
    sm.set_seq2(word)
    for i, opt in enumerate(opts):
        dist = int(OSA.distance(word, opt))
        sm.set_seq1(opt)
        ratio = sm.ratio()
        if dist <= reach or ratio >= cutoff:
            ranked.append((dist, -Indel.normalized_similarity(word, opt), -ratio, i, opt))
    ranked.sort()
    if ranked and ranked[0][0] <= reach:
        # a slip of a letter or two found its name: names further than one more edit are
        # noise beside it ('culiacna': 'culiacán', not also 'acuña')
        ranked = [r for r in ranked if r[0] <= ranked[0][0] + 1]
    return [opt for *_, opt in ranked[:n]]

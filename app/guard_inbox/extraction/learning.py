"""Learning evidence weights from labelled examples: L2-regularised logistic regression.

Small on purpose -- a few dozen binary features and a few thousand candidates -- so it is
solved exactly with Newton's method in pure Python (identical feature sets are pooled first),
in milliseconds, which is what lets the benchmark refit once per left-out source.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from guard_inbox.extraction.evidence import FEATURE_NAMES, VETOES, Weights

# Regularisation: one unit of L2 on every weight (not the bias).  Enough to keep a feature
# seen in three messages from deciding alone; small against a few hundred examples.
L2 = 0.3
_ITERATIONS = 40


def fit(examples: Iterable[tuple[frozenset[str], bool]], l2: float = L2) -> Weights:
    """Weights that separate the positive feature sets from the negative ones (candidates a
    veto decides are left out: no weight can change their verdict)."""
    pooled: Counter[tuple[frozenset[str], bool]] = Counter(
        (features, label) for features, label in examples if VETOES.isdisjoint(features)
    )
    names = sorted(FEATURE_NAMES - VETOES)
    index = {name: i + 1 for i, name in enumerate(names)}  # 0 is the bias
    rows = [([0, *sorted(index[n] for n in features if n in index)], label, count)
            for (features, label), count in pooled.items()]
    size = len(names) + 1
    beta = [0.0] * size
    for _ in range(_ITERATIONS):
        grad = [l2 * b for b in beta]
        grad[0] = 0.0
        hess = [[0.0] * size for _ in range(size)]
        for i in range(1, size):
            hess[i][i] = l2
        hess[0][0] = 1e-6
        for active, label, count in rows:
            z = sum(beta[i] for i in active)
            p = 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0
            g = (p - (1.0 if label else 0.0)) * count
            h = p * (1.0 - p) * count
            for i in active:
                grad[i] += g
                row = hess[i]
                for j in active:
                    row[j] += h
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return Weights(round(beta[0], 4), {name: round(beta[index[name]], 4) for name in names})


def _solve(matrix: Sequence[Sequence[float]], vector: Sequence[float]) -> list[float]:
    """x with matrix @ x = vector, by Gaussian elimination with partial pivoting."""
    n = len(vector)
    a = [list(row) + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            if factor:
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(a[r][r]) < 1e-12:
            continue
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x

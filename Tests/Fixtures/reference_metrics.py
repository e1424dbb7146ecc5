#!/usr/bin/env python3
"""Reference values for SoftPromptTasks' metrics (TaskMetrics), computed with scikit-learn and scipy.

Writes Tests/SoftPromptTasksTests/Fixtures/metrics_reference.json: a list of cases, each with the metric's name,
its inputs and the expected value. The Swift tests (MetricsTests.swift) recompute every case and compare to 1e-12.

    pip install scikit-learn scipy
    python3 Tests/Fixtures/reference_metrics.py

CI never runs this; rerun it only when a case is added. The cases are seeded, so a rerun with the same library
versions rewrites the same file.
"""
import json
import pathlib

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

OUT = pathlib.Path(__file__).resolve().parent.parent / "SoftPromptTasksTests" / "Fixtures" / "metrics_reference.json"
rng = np.random.default_rng(20240611)
cases = []


def ints(values):
    return [int(v) for v in values]


def floats(values):
    return [float(v) for v in values]


def add(metric, note, expected, **inputs):
    cases.append({"metric": metric, "note": note, "expected": float(expected), **inputs})


def noisy_labels(y, flip, classes):
    """Predictions that agree with y except for a `flip` fraction drawn at random."""
    p = y.copy()
    mask = rng.random(len(y)) < flip
    p[mask] = rng.integers(0, classes, mask.sum())
    return p


# Accuracy
for n, classes in [(50, 2), (137, 3), (9, 2)]:
    y = rng.integers(0, classes, n)
    p = noisy_labels(y, 0.4, classes)
    add("accuracy", f"{n} examples, {classes} classes", accuracy_score(y, p), labels=ints(y), predictions=ints(p))

# Binary F1 (positive class 1), including imbalanced labels and no positive prediction at all
for n, positive_rate, note in [(80, 0.5, "balanced"), (200, 0.1, "imbalanced, 10% positive"),
                               (60, 0.9, "imbalanced, 90% positive")]:
    y = (rng.random(n) < positive_rate).astype(int)
    p = noisy_labels(y, 0.35, 2)
    add("f1", note, f1_score(y, p, zero_division=0), labels=ints(y), predictions=ints(p))
y = (rng.random(40) < 0.2).astype(int)
add("f1", "no positive prediction", f1_score(y, np.zeros(40, int), zero_division=0), labels=ints(y), predictions=[0] * 40)

# Matthews correlation, including imbalanced labels and a constant prediction (0 by definition)
for n, positive_rate, note in [(120, 0.5, "balanced"), (300, 0.08, "imbalanced, 8% positive"),
                               (75, 0.7, "imbalanced, 70% positive")]:
    y = (rng.random(n) < positive_rate).astype(int)
    p = noisy_labels(y, 0.3, 2)
    add("mcc", note, matthews_corrcoef(y, p), labels=ints(y), predictions=ints(p))
y = rng.integers(0, 2, 30)
add("mcc", "constant prediction", matthews_corrcoef(y, np.ones(30, int)), labels=ints(y), predictions=[1] * 30)

# Macro-F1 over three classes (CB), including a class that never occurs and is never predicted
for n, probabilities, note in [(56, [0.41, 0.50, 0.09], "CB-like proportions"), (150, [1 / 3] * 3, "balanced"),
                               (40, [0.5, 0.5, 0.0], "class 2 absent from labels")]:
    y = rng.choice(3, size=n, p=probabilities)
    p = noisy_labels(y, 0.35, 3)
    if probabilities[2] == 0:
        p[p == 2] = 0  # absent from the predictions too: its F1 is 0 (zero_division=0)
    add("macro_f1", note, f1_score(y, p, labels=[0, 1, 2], average="macro", zero_division=0),
        labels=ints(y), predictions=ints(p), classes=3)

# Pearson
for n, noise in [(100, 0.5), (25, 2.0), (500, 0.1)]:
    x = rng.uniform(0, 5, n)
    pred = x + rng.normal(0, noise, n)
    add("pearson", f"{n} pairs, noise {noise}", scipy.stats.pearsonr(pred, x)[0], predictions=floats(pred), targets=floats(x))

# Spearman with average ranks for ties: STS-B-like scores on a 0.2 grid, and integer predictions with many ties
for n in [60, 200]:
    x = np.round(rng.uniform(0, 5, n) * 5) / 5
    pred = np.round(x + rng.normal(0, 1.0, n))
    add("spearman", f"{n} pairs, ties on both sides", scipy.stats.spearmanr(pred, x)[0],
        predictions=floats(pred), targets=floats(x))
x = rng.uniform(0, 5, 80)
pred = x ** 3 + rng.normal(0, 5, 80)
add("spearman", "80 pairs, monotone non-linear, no ties", scipy.stats.spearmanr(pred, x)[0],
    predictions=floats(pred), targets=floats(x))

# MultiRC-shaped: answers grouped by question; F1a over all answers, EM over questions
for questions in [30, 120]:
    groups, y = [], []
    for q in range(questions):
        answers = int(rng.integers(2, 7))
        groups += [q] * answers
        y += ints((rng.random(answers) < 0.45).astype(int))
    y = np.array(y)
    p = noisy_labels(y, 0.15, 2)
    g = np.array(groups)
    em = np.mean([np.array_equal(y[g == q], p[g == q]) for q in range(questions)])
    add("f1a", f"{questions} questions", f1_score(y, p, zero_division=0), labels=ints(y), predictions=ints(p), groups=groups)
    add("em", f"{questions} questions", em, labels=ints(y), predictions=ints(p), groups=groups)

OUT.parent.mkdir(parents=True, exist_ok=True)
header = {"generator": "Tests/Fixtures/reference_metrics.py", "sklearn": sklearn.__version__, "scipy": scipy.__version__,
          "numpy": np.__version__}
# One case per line, so a diff shows which case changed.
body = ",\n  ".join(json.dumps(case) for case in cases)
OUT.write_text(json.dumps(header)[:-1] + ',\n "cases": [\n  ' + body + "\n ]\n}\n")
print(f"wrote {len(cases)} cases to {OUT}")

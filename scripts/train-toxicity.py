#!/usr/bin/env python3
"""Train Quorum's built-in toxicity scorer (LocalToxicityScorer).

Reads the labelled comments in scripts/toxicity-data/*.tsv (columns: label, text; label 1 = not civil:
insult, threat, hate, harassment, spam; label 0 = civil, including harsh criticism and disagreement),
splits them into train and test deterministically (every 4th comment of each file, ordered by a hash of
its text, goes to test), fits an L2-regularised logistic regression over word, word-bigram and character
n-gram features, and writes:

  Sources/Comments/Resources/toxicity-model.tsv          the shipped weights (a resource of the Comments target)
  Tests/QuorumTests/Fixtures/toxicity-test-split.json    the held-out split with expected scores (a test resource)

and prints the held-out numbers that docs/toxicity.md reports. The feature extraction below is mirrored
exactly by LocalToxicityScorer.features(of:) in Swift; change both together.

Usage: python3 scripts/train-toxicity.py        (numpy and scipy; no downloads)
"""

import glob
import hashlib
import json
import math
import os
import sys

import numpy as np
from scipy import optimize, sparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "scripts", "toxicity-data")
MODEL_OUT = os.path.join(ROOT, "Sources", "Comments", "Resources", "toxicity-model.tsv")
SPLIT_OUT = os.path.join(ROOT, "Tests", "QuorumTests", "Fixtures", "toxicity-test-split.json")
MODEL_FORMAT = "quorum-toxicity-model/1"

LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
SYMBOLS = set("@$*!")
MIN_DOC_FREQ = 2
MAX_FEATURES = 4000


# ---------------------------------------------------------------- features (mirrored in Swift)

def tokens(text):
    """Lower-case ASCII tokens; leetspeak undone inside words; letter runs capped at two."""
    raw, cur = [], []
    for ch in text:
        o = ord(ch)
        if 65 <= o <= 90:
            cur.append(chr(o + 32))
        elif 97 <= o <= 122 or 48 <= o <= 57 or ch in SYMBOLS:
            cur.append(ch)
        elif ch == "'" or o == 0x2019:
            continue  # don't -> dont
        else:
            if cur:
                raw.append("".join(cur))
                cur = []
    if cur:
        raw.append("".join(cur))
    out = []
    for tok in raw:
        # symbols at the edges are punctuation ("now!!!", "@name"), except a leading "$" ("$hit")
        while tok and tok[-1] in SYMBOLS:
            tok = tok[:-1]
        while tok and tok[0] in SYMBOLS and tok[0] != "$":
            tok = tok[1:]
        if not tok:
            continue
        if any("a" <= c <= "z" for c in tok):
            tok = "".join(LEET.get(c, c) for c in tok)
            tok = tok.replace("*", "")
        else:
            tok = "".join(c for c in tok if c not in SYMBOLS)
            if not tok:
                continue
        # cap runs of one character at two ("stuuupid" -> "stuupid")
        capped = []
        for c in tok:
            if len(capped) >= 2 and capped[-1] == c and capped[-2] == c:
                continue
            capped.append(c)
        out.append("".join(capped))
    return out


def features(text):
    """The set of feature names present in a text."""
    toks = tokens(text)
    feats = set()
    for t in toks:
        feats.add("w=" + t)
        padded = "<" + t + ">"
        for n in (3, 4):
            for i in range(len(padded) - n + 1):
                feats.add("c=" + padded[i:i + n])
    for a, b in zip(toks, toks[1:]):
        feats.add("b=" + a + " " + b)
    if "!!" in text:
        feats.add("f=!!")
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) >= 8 and sum(1 for c in letters if c.isupper()) * 2 >= len(letters):
        feats.add("f=caps")
    return feats


# ---------------------------------------------------------------- data

def load():
    rows = []
    for path in sorted(glob.glob(os.path.join(DATA, "*.tsv"))):
        category = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                line = line.rstrip("\n")
                if i == 0 or not line.strip():
                    continue
                label, text = line.split("\t", 1)
                rows.append((category, int(label), text))
    return rows


def split(rows):
    train, test = [], []
    by_cat = {}
    for r in rows:
        by_cat.setdefault(r[0], []).append(r)
    for cat in sorted(by_cat):
        items = sorted(by_cat[cat], key=lambda r: hashlib.sha1(r[2].encode()).hexdigest())
        for i, r in enumerate(items):
            (test if i % 4 == 0 else train).append(r)
    return train, test


# ---------------------------------------------------------------- model

def matrix(docs, vocab):
    rows, cols, vals = [], [], []
    for i, feats in enumerate(docs):
        scale = 1.0 / math.sqrt(max(len(feats), 1))
        for f in feats:
            j = vocab.get(f)
            if j is not None:
                rows.append(i)
                cols.append(j)
                vals.append(scale)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)))


def fit(X, y, l2):
    """L2-regularised logistic regression without an intercept.

    No intercept on purpose: a comment with no known features (emoji, another script, an unseen word)
    then scores exactly 0.5, "no evidence either way", instead of whatever a fitted intercept happens to be
    (with one, short unknown comments such as "Bravo" scored 0.99)."""
    n, d = X.shape

    def loss(w):
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        ll = -np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
        return ll + 0.5 * l2 * np.dot(w, w), X.T @ (p - y) + l2 * w

    res = optimize.minimize(loss, np.zeros(d), jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return res.x, 0.0


def predict(docs, weights, bias):
    out = []
    for feats in docs:
        scale = 1.0 / math.sqrt(max(len(feats), 1))
        z = bias + scale * sum(weights.get(f, 0.0) for f in sorted(feats))  # sorted: same bits every run
        out.append(1.0 / (1.0 + math.exp(-z)))
    return np.array(out)


def auc(scores, labels):
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half."""
    pos = [s for s, l in zip(scores, labels) if l == 1]
    neg = [s for s, l in zip(scores, labels) if l == 0]
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))


def prf(scores, labels, threshold):
    tp = sum(1 for s, l in zip(scores, labels) if s >= threshold and l == 1)
    fp = sum(1 for s, l in zip(scores, labels) if s >= threshold and l == 0)
    fn = sum(1 for s, l in zip(scores, labels) if s < threshold and l == 1)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def train_model(train_docs, y, l2):
    df = {}
    for feats in train_docs:
        for f in feats:
            df[f] = df.get(f, 0) + 1
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in df.items() if c >= MIN_DOC_FREQ))}
    X = matrix(train_docs, vocab)
    w, b = fit(X, y, l2)
    ranked = sorted(vocab, key=lambda f: -abs(w[vocab[f]]))[:MAX_FEATURES]
    weights = {f: round(float(w[vocab[f]]), 5) for f in ranked if abs(w[vocab[f]]) >= 1e-4}
    return weights, round(float(b), 5)


def cross_validate(train_docs, y, l2, folds=5):
    oof = np.zeros(len(train_docs))
    idx = np.arange(len(train_docs))
    for k in range(folds):
        held = idx % folds == k
        weights, bias = train_model([d for d, h in zip(train_docs, held) if not h], y[~held], l2)
        oof[held] = predict([d for d, h in zip(train_docs, held) if h], weights, bias)
    return oof


# ---------------------------------------------------------------- output

def write_model(weights, bias, threshold, stats):
    """The format LocalToxicityModel.parse reads: comment lines, four header lines, then one feature a line."""
    for f in weights:
        assert "\t" not in f and "\n" not in f and not f.startswith("#"), f
    os.makedirs(os.path.dirname(MODEL_OUT), exist_ok=True)
    with open(MODEL_OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("# Quorum's built-in toxicity model (LocalToxicityScorer), generated by scripts/train-toxicity.py from\n")
        f.write("# scripts/toxicity-data/*.tsv. Do not edit by hand: change the data or the script and run it again.\n")
        f.write(f"# Held-out test split ({stats['n_test']} comments): precision {stats['precision']:.3f}, "
                f"recall {stats['recall']:.3f}, F1 {stats['f1']:.3f} at threshold {threshold}, ROC AUC {stats['auc']:.3f}.\n")
        f.write("# Header lines (name, a tab, the value): format, bias, threshold (at and above which the documented\n")
        f.write("# numbers count a comment as not civil), features (how many follow). Then one feature a line: name, a tab,\n")
        f.write("# its weight.\n")
        f.write(f"format\t{MODEL_FORMAT}\n")
        f.write(f"bias\t{bias!r}\n")
        f.write(f"threshold\t{threshold!r}\n")
        f.write(f"features\t{len(weights)}\n")
        for name, w in sorted(weights.items()):
            f.write(f"{name}\t{w!r}\n")


def write_split(test, scores, threshold, stats):
    """The held-out split as JSON, one comment a line, read by the Swift tests."""
    os.makedirs(os.path.dirname(SPLIT_OUT), exist_ok=True)
    header = {
        "about": "Generated by scripts/train-toxicity.py: the held-out test split of scripts/toxicity-data, never seen "
                 "in training, with the score the training script computed for each comment, and the numbers "
                 "documented in docs/toxicity.md.",
        "threshold": threshold,
        "precision": round(stats["precision"], 3),
        "recall": round(stats["recall"], 3),
        "f1": round(stats["f1"], 3),
        "rocAUC": round(stats["auc"], 3),
    }
    with open(SPLIT_OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("{\n")
        for key, value in header.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
        f.write('  "items": [\n')
        items = [
            json.dumps({"category": cat, "label": label, "expectedScore": float(s), "text": text}, ensure_ascii=False)
            for (cat, label, text), s in zip(test, scores)
        ]
        f.write(",\n".join("    " + item for item in items))
        f.write("\n  ]\n}\n")


def main():
    rows = load()
    train, test = split(rows)
    train_docs = [features(t) for _, _, t in train]
    test_docs = [features(t) for _, _, t in test]
    y = np.array([l for _, l, _ in train], dtype=float)
    ytest = [l for _, l, _ in test]
    print(f"{len(rows)} comments: {len(train)} train ({int(y.sum())} not civil), "
          f"{len(test)} test ({sum(ytest)} not civil)")

    # Regularisation strength by 5-fold cross-validated log-loss on the training split only.
    best = None
    for l2 in (0.003, 0.01, 0.03, 0.1, 0.3, 1.0):
        oof = cross_validate(train_docs, y, l2)
        ll = -np.mean(y * np.log(oof + 1e-12) + (1 - y) * np.log(1 - oof + 1e-12))
        print(f"  l2={l2}: cv log-loss {ll:.4f}, cv AUC {auc(oof, y):.4f}")
        if best is None or ll < best[0]:
            best = (ll, l2, oof)
    _, l2, oof = best

    # Threshold by cross-validated F1 on the training split only, on a 0.05 grid above 0.5: a comment the
    # model knows nothing about scores 0.5 and must go to peer review, not to the moderators.
    grid = [round(0.05 * k, 2) for k in range(11, 17)]
    threshold = max(grid, key=lambda t: (prf(oof, y, t)[2], -abs(t - 0.5)))
    print(f"chosen l2={l2}, threshold={threshold} (cv F1 {prf(oof, y, threshold)[2]:.4f})")

    weights, bias = train_model(train_docs, y, l2)
    scores = predict(test_docs, weights, bias)
    p, r, f1 = prf(scores, ytest, threshold)
    stats = {"precision": p, "recall": r, "f1": f1, "auc": auc(scores, ytest), "n_test": len(test)}
    print(f"held-out: precision {p:.3f} recall {r:.3f} F1 {f1:.3f} at {threshold}; ROC AUC {stats['auc']:.3f}; "
          f"{len(weights)} features")

    # Per category: how often each kind of comment is scored at or above the threshold.
    cats = sorted(set(c for c, _, _ in test))
    for cat in cats:
        sel = [(s, l) for (c, l, _), s in zip(test, scores) if c == cat]
        flagged = sum(1 for s, _ in sel if s >= threshold)
        mean = sum(s for s, _ in sel) / len(sel)
        print(f"  {cat:20s} n={len(sel):3d} flagged {flagged:3d} mean score {mean:.3f}")
    if "-v" in sys.argv:
        for (c, l, t), s in sorted(zip(test, scores), key=lambda x: x[1]):
            if (s >= threshold) != (l == 1):
                print(f"  MISS {c:18s} label={l} score={s:.3f} {t}")

    write_model(weights, bias, threshold, stats)
    write_split(test, scores, threshold, stats)
    print(f"wrote {os.path.relpath(MODEL_OUT, ROOT)} ({os.path.getsize(MODEL_OUT)} bytes) "
          f"and {os.path.relpath(SPLIT_OUT, ROOT)}")


if __name__ == "__main__":
    main()

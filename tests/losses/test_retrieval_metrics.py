"""Retrieval metrics (keras_zoo/metrics/retrieval.py) against NumPy loops of their formulas."""

import numpy as np
import pytest

from keras_zoo.metrics import retrieval as R


def dcg_reference(rel, k):
    return sum(r / np.log2(i + 2) for i, r in enumerate(rel[:k]))


def ranked_neighbours(z, labels, q):
    zn = z / np.linalg.norm(z, axis=1, keepdims=True)
    sim = zn @ zn[q]
    others = [j for j in range(len(z)) if j != q]
    order = sorted(others, key=lambda j: -sim[j])
    return [int(labels[j] == labels[q]) for j in order]


@pytest.fixture
def retrieval_batch():
    rng = np.random.default_rng(5)
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])  # class 3 has no other member
    return rng.normal(size=(10, 4)), labels


def test_dcg_and_ndcg_against_reference():
    rel = np.array([[3, 2, 3, 0, 1, 2], [0, 0, 1, 0, 0, 0]], np.float32)
    scores = np.array([[6, 5, 4, 3, 2, 1], [1, 2, 3, 4, 5, 6]], np.float32)
    for k in (1, 3, 6):
        ranked0, ranked1 = rel[0], rel[1][::-1]
        expected_dcg = [dcg_reference(ranked0, k), dcg_reference(ranked1, k)]
        np.testing.assert_allclose(R.dcg(np.stack([ranked0, ranked1]), k).numpy(),
                                   expected_dcg, rtol=1e-6)
        ideal = [dcg_reference(sorted(r, reverse=True), k) for r in rel]
        expected = [e / i if i else 0.0 for e, i in zip(expected_dcg, ideal, strict=True)]
        np.testing.assert_allclose(R.ndcg(rel, scores, k).numpy(), expected, rtol=1e-6)
    # Wikipedia's DCG example: relevances 3, 2, 3, 0, 1, 2 -> DCG_6 = 6.861.
    assert float(R.dcg(rel[0:1])[0]) == pytest.approx(6.861, abs=1e-3)


def test_ndcg_without_relevant_item_is_zero():
    assert float(R.ndcg(np.zeros((1, 4)), np.arange(4.0)[None], 2)[0]) == 0.0


def test_recall_at_k_and_map_at_r_against_reference(retrieval_batch):
    z, labels = retrieval_batch
    for k in (1, 2, 5):
        hits = [any(ranked_neighbours(z, labels, q)[:k]) for q in range(10) if q != 9]
        assert R.recall_at_k(z, labels, k) == pytest.approx(np.mean(hits))
    aps = []
    for q in range(9):  # query 9 has no same-label item: left out
        rel = ranked_neighbours(z, labels, q)
        r = sum(rel)
        aps.append(sum(np.mean(rel[:i + 1]) * rel[i] for i in range(r)) / r)
    assert R.map_at_r(z, labels) == pytest.approx(np.mean(aps))
    ndcgs = []
    for q in range(9):
        rel = ranked_neighbours(z, labels, q)
        ndcgs.append(dcg_reference(rel, 3) / dcg_reference(sorted(rel, reverse=True), 3))
    assert R.ndcg_at_k(z, labels, 3) == pytest.approx(np.mean(ndcgs))


def test_no_positive_anywhere_is_zero_not_nan():
    z = np.eye(3)
    assert R.recall_at_k(z, [0, 1, 2], 1) == 0.0
    assert R.map_at_r(z, [0, 1, 2]) == 0.0


def test_perfect_embedding_scores_one():
    z = np.repeat(np.eye(3), 3, axis=0) + 0.01 * np.random.default_rng(0).normal(size=(9, 3))
    labels = np.repeat([0, 1, 2], 3)
    report = R.retrieval_report(z, labels, ks=(1, 5), ndcg_k=10)
    assert report["recall@1"] == 1.0 and report["map@r"] == pytest.approx(1.0)
    assert report["ndcg@10"] == pytest.approx(1.0)


def test_keras_metrics_accumulate_over_batches(retrieval_batch):
    z, labels = retrieval_batch
    metric = R.RecallAtK(2)
    metric.update_state(labels, z)
    metric.update_state(labels[:5], z[:5])
    h1, v1 = R.recall_at_k_per_query(z, labels, 2)
    h2, v2 = R.recall_at_k_per_query(z[:5], labels[:5], 2)
    hits = np.concatenate([np.asarray(h1)[np.asarray(v1)], np.asarray(h2)[np.asarray(v2)]])
    assert float(metric.result()) == pytest.approx(hits.mean())
    metric.reset_state()
    assert float(metric.result()) == 0.0
    m = R.MeanAveragePrecisionAtR()
    m.update_state(labels, z)
    assert float(m.result()) == pytest.approx(R.map_at_r(z, labels))
    n = R.NDCG(2)
    n.update_state([[1, 0, 2]], [[0.1, 0.5, 0.9]])
    expected = dcg_reference([2, 0, 1], 2) / dcg_reference([2, 1, 0], 2)
    assert float(n.result()) == pytest.approx(expected)
    d = R.DCG(3)
    d.update_state([[1, 0, 2]], [[0.1, 0.5, 0.9]])
    assert float(d.result()) == pytest.approx(dcg_reference([2, 0, 1], 3))


def test_bad_k():
    with pytest.raises(ValueError, match="k must be a positive int"):
        R.RecallAtK(0)
    with pytest.raises(ValueError, match="k must be a positive int"):
        R.recall_at_k(np.eye(2), [0, 0], k=-1)

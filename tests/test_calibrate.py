from __future__ import annotations

import numpy as np

from guard.calibrate import FLOORS, joint_thresholds, threshold_at


def test_threshold_at_blocks_at_most_the_allowed_share() -> None:
    scores = np.linspace(0, 1, 1000, dtype=np.float32)
    t = threshold_at(scores, 0.01)
    assert np.sum(scores >= t) == 10  # exactly the budget: the next text down is allowed
    assert threshold_at(scores, 0.0) > scores.max()


def test_joint_thresholds_keep_the_union_within_budget() -> None:
    rng = np.random.default_rng(0)
    scores = {"verbatim": rng.uniform(0, 1, 2000).astype(np.float32),
              "semantic": rng.uniform(0, 1, 2000).astype(np.float32),
              "concept": np.zeros(2000, np.float32)}
    t = joint_thresholds(scores, 0.02)
    union = np.mean((scores["verbatim"] >= t["verbatim"]) | (scores["semantic"] >= t["semantic"]))
    assert 0.015 <= union <= 0.02  # shared budget, nearly all of it used
    single = threshold_at(scores["verbatim"], 0.02)
    assert t["verbatim"] > single  # stricter than calibrating each matcher alone
    assert t["concept"] == FLOORS["concept"]  # nothing seen: the floor

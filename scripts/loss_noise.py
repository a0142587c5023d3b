"""How noisy is a calibration's distance at one parameter point?

``restructuring_sim calibrate`` scores each point on ``budget.replicates`` runs (two in the
shipped specs) with the loss of the spec's moments. This script scores one point, the values a
calibration record chose, over many root seeds as the ABC would (the same replicates, sample
size and loss), and prints the spread of that loss beside the record's check loss (40 runs). Where
the spread is as wide as the differences between candidates, the ABC accepts particles for
their seeds rather than their values.

    .venv/bin/python scripts/loss_noise.py                               # round 20, 20 seeds
    .venv/bin/python scripts/loss_noise.py --replicates 8 --seeds 10     # with 8 runs a score
    .venv/bin/python scripts/loss_noise.py --spec DIR/spec.toml --record DIR  # another record
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from restructuring_sim.calibration.loss import Loss
from restructuring_sim.calibration.simulate import PointEvaluator
from restructuring_sim.calibration.spec import load_spec
from restructuring_sim.paper.figures import load_figures

ROOT = Path(__file__).resolve().parents[1] / "experiments" / "calibration"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=ROOT / "baseline.toml")
    parser.add_argument("--record", type=Path, default=ROOT / "baseline",
                        help="calibration record whose chosen values are scored")
    parser.add_argument("--seeds", type=int, default=20, help="root seeds to score them on")
    parser.add_argument("--replicates", type=int, default=None,
                        help="runs per score (default: the spec's budget.replicates)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    spec, base = load_spec(args.spec)
    best = json.loads((args.record / "best.json").read_text())
    point = best["parameters"]
    replicates = args.replicates or spec.budget.replicates
    fittable = load_figures().fittable()
    loss = Loss([fittable[name] for name in spec.moments])
    scores = []
    with ProcessPoolExecutor(args.workers) as pool:
        for root in range(1, args.seeds + 1):
            evaluate = PointEvaluator(base, list(spec.parameters), root, replicates, pool)
            scores.append(loss(evaluate(point)))
    v = np.sort(np.array(scores))
    print(f"{args.record.name}, chosen values ({best['chosen']}): loss on {replicates} runs of "
          f"{base['simulation']['n_firms']:,} firms over {len(v)} seeds")
    print(f"  mean {v.mean():.3f}, standard deviation {v.std(ddof=1):.3f}, "
          f"range {v[0]:.3f}-{v[-1]:.3f}; check loss ({best['check']['replicates']} runs) "
          f"{best['check']['loss']:.3f}")
    print("  sorted: " + ", ".join(f"{x:.3f}" for x in v))


if __name__ == "__main__":
    main()

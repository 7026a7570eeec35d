"""Simulated false alarms and detection delays of ai_budget.planning.limits.detect (seeded)."""

import math
import random
import statistics as st
from datetime import datetime, timedelta, timezone

from ai_budget.planning import limits as L

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def run(sigma, step, trials=200, seed=1, n=100, at=50):
    rng = random.Random(seed)
    fa = 0
    delays = []
    miss = 0
    for _t in range(trials):
        pts = []
        hit = None
        for i in range(n):
            base = step if i >= at else 1.0
            pct = rng.randint(5, 40)
            pts.append(
                L.Point(T0 + timedelta(hours=8 * i), 1000 * pct * base * math.exp(rng.gauss(0, sigma)), pct)
            )
            c = L.detect(pts)
            if c:
                hit = (i, c)
                break
        if hit and (step == 1.0 or hit[0] < at):
            fa += 1
        elif hit:
            delays.append(hit[0] - at + 1)
        else:
            miss += 1
    return fa / trials, (st.median(delays) if delays else None), 1 - miss / trials


for a, b, z in ((5, 10, 0.0), (5, 10, 3.0), (10, 20, 0.0), (10, 20, 3.0)):
    L.AFTER, L.BEFORE, L.Z = a, b, z
    for sigma in (0.2, 0.3, 0.4):
        fa, _, _ = run(sigma, 1.0)
        _, d, found = run(sigma, 1.9, n=90)
        print(f"| {a} vs {b} | {z:g} | {sigma} | {100 * fa:.0f} % | {100 * found:.0f} % | {d} |")

"""The registry the report's tests read (with and without a browser): two models, one
namespaced, with metrics, gates, promotions, a rollback, an archive, annotations and
text written to break a page (script tags, event handlers, javascript: links) in every
place a person can write text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BASE_TIME, Clock, Repo, isolate
from tests.helpers import ok

# Text a page must show as text: each would run code if it reached the page as HTML.
PROBES = (
    "<script>window.probed = 1</script>",
    '<img src="x" onerror="window.probed = 2">',
    "[click me](javascript:window.probed=3)",
    '<a href="#" onclick="window.probed = 4">x</a>',
)
PROBE_TEXT = " ".join(PROBES)
STAGES = ("dev", "staging", "prod")
CONFIG = """stages: [dev, staging, prod]
gates:
  prod:
    metrics:
      auc: ">= 0.75"
  staging:
    metrics:
      auc: ">= 0.7"
"""
CHURN_SPEC = f"""description: |
  Predicts which accounts cancel. **Bold** and a [link to fraud](#m-fraud_2ftx).
  {PROBE_TEXT}
owner: growth-ml
labels: [tabular]
metrics: [metrics.json]
signature:
  inputs:
    - {{name: tenure, type: int64}}
    - {{name: charges, type: float64, shape: [-1]}}
  outputs:
    - {{name: churn_probability, type: float64}}
card:
  intended_use: "Retention outreach. {json.dumps(PROBE_TEXT)[1:-1]}"
  caveats_and_recommendations: Not for pricing.
"""
# auc and loss of each churn version, in registration order (0.1.0, 0.2.0, ...).
CHURN = ({"auc": 0.71, "loss": 0.52}, {"auc": 0.78, "loss": 0.41}, {"auc": 0.74}, {"auc": 0.81})
# fraud/tx: its first version recorded no metric, then recall only.
FRAUD = ({}, {"recall": 0.6}, {"recall": 0.66})


def build(path: Path, home: Path) -> Repo:
    """Write the registry at ``path`` (``home``: an isolated HOME for Git)."""
    path.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(home, monkeypatch)
        clock = Clock(monkeypatch)
        clock.set(BASE_TIME)
        repo = Repo(path)
        repo.git("init", "-q")
        repo.commit("registry", {"git-model.yaml": CONFIG, "models/churn.yaml": CHURN_SPEC})

        def step() -> None:
            clock.tick(3600)

        for i, metrics in enumerate(CHURN):
            step()
            repo.commit(f"train churn {i}", {"metrics.json": json.dumps(metrics)})
            ok(repo, "register", "churn", "-m", f"churn {i}: {PROBES[i % len(PROBES)]}")
        for i, metrics in enumerate(FRAUD):
            step()
            spec = "owner: risk-ml\n" + ("metrics: [fraud.json]\n" if metrics else "")
            files = {"models/fraud/tx.yaml": spec, "fraud.json": json.dumps(metrics)}
            repo.commit(f"train fraud {i}", files)
            ok(repo, "register", "fraud/tx")
        for args in (
            ("promote", "churn@0.1.0", "--to", "dev"),
            ("promote", "churn@0.1.0", "--to", "staging"),
            ("promote", "churn@0.2.0", "--to", "staging"),
            ("promote", "churn@0.2.0", "--to", "prod", "-m", f"ship it {PROBES[0]}"),
            ("promote", "churn@0.3.0", "--to", "dev"),
            ("promote", "churn@0.3.0", "--to", "prod", "--force", "--reason", "test"),
            ("rollback", "churn#prod", "-m", "latency"),
            ("archive", "churn@0.1.0", "--demote"),
            ("annotate", "churn@0.2.0", f"uat={PROBES[1]}", "ticket=OPS-1"),
            ("promote", "fraud/tx@0.2.0", "--to", "dev"),
        ):
            step()
            ok(repo, *args)
    return repo


def versions_with(metric: str) -> dict[str, int]:
    """Per model, how many versions recorded ``metric``."""
    return {
        "churn": sum(metric in m for m in CHURN),
        "fraud/tx": sum(metric in m for m in FRAUD),
    }

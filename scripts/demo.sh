#!/usr/bin/env bash
# The main job, end to end, in a throw-away repository: register models, promote them
# through the stages, replace production, demote, archive, and read the history back.
# Run it with `make demo` (which puts .venv/bin on PATH so that `git model` works).
set -euo pipefail

command -v git-model >/dev/null || { echo "git-model is not on PATH; run 'make demo'"; exit 1; }

demo=$(mktemp -d "${TMPDIR:-/tmp}/git-model-demo.XXXXXX")
cd "$demo"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }

say "A fresh repository with a trained model in it"
git init -q -b main
git config user.name "Demo User"
git config user.email "demo@example.com"
mkdir -p models
echo "weights of churn, trained on January's data" > models/churn.pkl
echo "weights of the fraud classifier" > models/fraud-tx.onnx
git add models && git commit -q -m "Train churn and fraud models"

step git model init
git add git-model.yaml && git commit -q -m "Registry configuration"

say "Register a version of each model (the first version is 0.1.0)"
step git model register churn -m "baseline: logistic regression"
step git model register fraud/tx-classifier --version 1.0.0 --type classifier

say "Promote churn through the stages: with no --to, a version goes to the next stage"
step git model promote churn@0.1.0
step git model promote churn@0.1.0
step git model promote churn#staging --to prod -m "baseline goes live"

say "Retrain churn and register it with a minor bump"
echo "weights of churn, trained on February's data" > models/churn.pkl
git commit -q -am "Retrain churn on February"
step git model register churn --bump minor -m "gradient boosting, +4% AUC"
step git model promote churn@latest --to staging

say "The registry at a glance"
step git model show

say "Replace production: the old holder is recorded as replaced, not forgotten"
step git model promote churn@0.2.0 --to prod -m "AUC 0.91 vs 0.87 on the holdout"
step git model show churn

say "Demote leaves the stage empty: it never silently falls back to an older version"
step git model demote churn#staging -m "staging cluster is being rebuilt"
step git model describe churn#prod

say "Archive the old version: out of every stage, kept in history"
step git model archive churn@0.1.0 -m "superseded by 0.2.0"
step git model show churn --all

say "Every event, newest first: who moved what, when, and why"
step git model history churn

say "Everything above is Git tags: push them, review them, protect them"
step git tag -l -n1

say "Check the registry: unreadable tags, stage tags that lag their events, stale locks"
step git model doctor

printf '\nThe demo repository is %s (delete it when done).\n' "$demo"

#!/usr/bin/env bash
# The main job, end to end, in throw-away repositories: a team's server repository and DVC
# storage, a data scientist who registers and promotes models, a teammate who fetches the
# registry and downloads production's model, a replacement, a demotion and an archive.
# Run it with `make demo` (which puts .venv/bin on PATH so that `git model` works).
set -euo pipefail

command -v git-model >/dev/null || { echo "git-model is not on PATH; run 'make demo'"; exit 1; }
export DVC_NO_ANALYTICS=1

demo=$(mktemp -d "${TMPDIR:-/tmp}/git-model-demo.XXXXXX")
cd "$demo"

show() {
    printf '\n\033[1m$'
    for arg in "$@"; do
        if [[ "$arg" == *" "* ]]; then printf ' "%s"' "$arg"; else printf ' %s' "$arg"; fi
    done
    printf '\033[0m\n'
}
step() { show "$@"; "$@"; }
refused() {  # a step that must be refused: shows its exit code, stops the demo if it passes
    show "$@"
    local code=0
    "$@" || code=$?
    if [ "$code" -eq 0 ]; then echo "demo: this should have been refused" >&2; exit 1; fi
    printf '\033[2m(exit %s)\033[0m\n' "$code"
}
say() { printf '\n\033[36m# %s\033[0m\n' "$*"; }
as_user() { git config user.name "$1"; git config user.email "$2"; }

say "The team's server: a bare Git repository, and a directory as DVC storage"
git init -q --bare --initial-branch=main server.git
mkdir dvc-storage

say "A data scientist's clone, with DVC set up and a trained model in it"
git clone -q server.git scientist 2>/dev/null  # an empty repository, so far
cd scientist
as_user "Data Scientist" "scientist@example.com"
dvc init -q
dvc remote add -q -d storage "$demo/dvc-storage"
git add .dvc .dvcignore && git commit -q -m "Use DVC"
step git model init
git add git-model.yaml && git commit -q -m "Registry configuration"
git push -q origin main

say "A training pipeline: DVC runs it, it writes the model and its metrics"
mkdir -p models data
head -c 200000 /dev/urandom > data/activity.csv
cat > train.py <<'PY'
import hashlib, json, os, time
import yaml  # DVC depends on PyYAML, so it is here
start = time.time()
params = yaml.safe_load(open("params.yaml"))["train"]
data = open("data/activity.csv", "rb").read()
seed = hashlib.sha256(data + str(params).encode()).digest()
open("models/churn.pkl", "wb").write(seed * 20000)  # stands in for a fitted model
auc = 0.80 + params["depth"] * 0.01 + seed[0] / 25500
metrics = {"auc": round(auc, 4), "training_time": round(time.time() - start, 3)}
json.dump(metrics, open("metrics.json", "w"))
PY
printf 'train:\n  depth: 3\n' > params.yaml
cat > dvc.yaml <<'YAML'
stages:
  train:
    cmd: python train.py
    deps: [train.py, data/activity.csv]
    params: [train.depth]
    outs: [models/churn.pkl]
    metrics:
      - metrics.json:
          cache: false
YAML
dvc add -q data/activity.csv
dvc repro -q
git add train.py params.yaml dvc.yaml dvc.lock metrics.json data/activity.csv.dvc data/.gitignore
git commit -q -m "Train churn"
cat > models/churn.yaml <<'YAML'
description: Predicts which accounts will cancel within 90 days.
owner: growth-ml
labels: [tabular, classification]
framework: scikit-learn
format: pickle
signature:
  inputs:
    - {name: activity, type: float64, shape: [-1, 12]}
  outputs:
    - {name: churn_probability, type: float64, shape: [-1]}
card:
  intended_use: Ranking accounts for retention outreach; not for pricing decisions.
  training_data: Twelve months of account activity (data/activity.csv).
YAML

say "Register it: git-model records the model's file, DVC's metrics, params and lineage"
step git model register churn --path models/churn.pkl -m "baseline" --push
git push -q origin main
step git model describe churn@latest
say "Promote it through the stages; with no --to, a version goes to the next stage"
step git model promote churn@0.1.0 --push
step git model promote churn@0.1.0 --push
step git model promote churn#staging --to prod -m "baseline goes live" --push

say "A teammate clones the repository: production's model is one command away"
cd "$demo"
git clone -q server.git teammate
cd teammate
as_user "Teammate" "teammate@example.com"
step git model show
step git model get churn#prod -o "$demo/deployed-churn.pkl"

cd "$demo/scientist"
signing=no
if command -v ssh-keygen >/dev/null; then
    signing=yes
    say "From now on Git signs the scientist's registry tags, with an SSH key (docs/signing.md)"
    ssh-keygen -q -t ed25519 -N "" -C scientist -f "$demo/scientist-key"
    git config gpg.format ssh
    git config user.signingkey "$demo/scientist-key"
    step git config gitmodel.sign true
    mkdir -p .git-model
    echo "scientist@example.com $(cat "$demo/scientist-key.pub")" > .git-model/allowed_signers
    printf 'signing:\n  allowed_signers: .git-model/allowed_signers\n' >> git-model.yaml
    git add git-model.yaml .git-model && git commit -q -m "Allowed signers" && git push -q origin main
fi

say "Meanwhile: retrain deeper; --bump auto picks the version from what changed"
printf 'train:\n  depth: 6\n' > params.yaml
dvc repro -q
git commit -q -am "Deeper trees"
step git model register churn --path models/churn.pkl --bump auto -m "deeper trees" --push

say "Compare the candidate with production, as a reviewer would (--markdown for a PR)"
step git model compare churn#prod churn@latest
step git model compare churn#prod churn@latest --markdown

say "The team's policy as code: gates a version must pass to enter prod, committed on main"
cat >> git-model.yaml <<'YAML'
gates:
  prod:
    after: staging               # it must hold, or have held, staging first
    metrics:
      auc: ">= 0.80"
    not_worse:
      auc: 0.005                 # no worse than production's version, give or take
    required: [owner, intended_use]
YAML
git commit -q -am "Gates for prod" && git push -q origin main
refused git model check churn@latest --to prod

say "A promotion that fails a gate is refused, and nothing moves"
refused git model promote churn@latest --to prod --push

say "An emergency overrides it: --force needs a reason, and both go on the record"
step git model promote churn@latest --to prod --force --reason "holdout AUC is better; staging is down" \
    -m "better AUC on the holdout" --push

say "Its model card, from what the version recorded (missing sections are listed)"
step git model card churn#prod -o "$demo/churn-model-card.md"
head -20 "$demo/churn-model-card.md"

say "Feedback after registration: annotate a version (kept in history; its tag never moves)"
step git model annotate churn#prod uat=passed monitoring=enabled -m "UAT sign-off" --push

say "The teammate's plain 'git fetch' cannot move a tag; git-model sees the stage tag lag"
cd "$demo/teammate"
git fetch -q --tags 2>/dev/null || true
step git model show
step git model fetch
step git model show churn

say "Read the server's registry without cloning it"
cd "$demo"
step git model show --repo "$demo/server.git"

say "Demote leaves the stage empty: it never silently falls back to an older version"
cd "$demo/scientist"
step git model demote churn#staging -m "staging cluster is being rebuilt" --push
step git model describe churn#prod

say "Production misbehaves: one command gives prod back to the version that held it before"
step git model rollback churn#prod -m "latency alarms after the release" --push
step git model history churn#prod

say "The fixed candidate goes the regular way: staging first, then every gate passes"
step git model promote churn@latest --to staging -m "latency fixed" --push
step git model check churn@latest --to prod
step git model promote churn@latest --to prod -m "latency fixed, gates pass" --push
if [ "$signing" = yes ]; then
    say "Who registered and promoted production's model, provably: each signature checked"
    step git model verify churn#prod
fi

say "Archive the old version: out of every stage, kept in history"
step git model archive churn@0.1.0 --demote -m "superseded" --push
step git model show churn --all

say "Every event, newest first: who moved what, when, and why (and the AUC each version had)"
step git model history churn --metric auc

say "Everything above is Git tags: push them, review them, protect them"
step git tag -l -n1

say "A retried write (a CI job run twice, an answer lost) is reported done, not refused"
step git model archive churn@0.1.0 --demote -m "superseded" --push

say "Someone pushes a tag crafted to crash readers (a time zone 99 hours from UTC)"
commit=$(git rev-parse HEAD)
printf 'object %s\ntype commit\ntag churn#prod#99\ntagger Mallory <m@example.com> 1767225600 +9999\n\nmoved\n' \
    "$commit" > "$demo/crafted-tag"
git update-ref 'refs/tags/churn#prod#99' "$(git hash-object -t tag -w "$demo/crafted-tag")"
step git model show churn
say "Every write to a model moves its head (outside refs/tags), so two writers never both win"
step git for-each-ref refs/git-model

say "Check the registry: unreadable tags, stage tags that lag their events, files Git left"
step git model doctor
git tag -d 'churn#prod#99' >/dev/null

say "The registry as one page: every metric by version, the stages, who moved them; no server"
step git model report -o "$demo/report.html"

say "Next steps"
cat <<EOF
The demo's repositories are in $demo (delete it when done):
server.git is the team's Git server, dvc-storage its DVC storage, and scientist and
teammate are two clones of it. The registry's report is $demo/report.html: open it in a
browser (it makes no network request).

To run git model yourself, put it on your PATH; in this directory (the project's):
    export PATH="\$PWD/.venv/bin:\$PATH"
Then try, in the data scientist's clone:
    cd $demo/scientist && git model show
    git model history churn --metric auc
    git model compare churn@0.1.0 churn#prod
EOF

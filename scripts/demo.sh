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

step() {
    printf '\n\033[1m$'
    for arg in "$@"; do
        if [[ "$arg" == *" "* ]]; then printf ' "%s"' "$arg"; else printf ' %s' "$arg"; fi
    done
    printf '\033[0m\n'
    "$@"
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
mkdir -p models
head -c 2000000 /dev/urandom > models/churn.pkl

say "Register it: git-model tracks the file with DVC, commits the declaration, tags it, pushes"
step git model register churn --path models/churn.pkl -m "baseline: logistic regression" --push
git push -q origin main

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

say "Meanwhile: retrain, register with a minor bump, and replace production"
cd "$demo/scientist"
head -c 2000000 /dev/urandom > models/churn.pkl
step git model register churn --path models/churn.pkl --bump minor -m "gradient boosting, +4% AUC" --push
step git model promote churn@latest --to prod -m "AUC 0.91 vs 0.87 on the holdout" --push
git push -q origin main

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

say "Archive the old version: out of every stage, kept in history"
step git model archive churn@0.1.0 -m "superseded by 0.2.0" --push
step git model show churn --all

say "Every event, newest first: who moved what, when, and why"
step git model history churn

say "Everything above is Git tags: push them, review them, protect them"
step git tag -l -n1

say "Check the registry: unreadable tags, stage tags that lag their events, stale locks"
step git model doctor

printf '\nThe demo repositories are in %s (delete it when done).\n' "$demo"

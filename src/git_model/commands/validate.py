"""``validate``: read ``git-model.yaml`` and every model's YAML file in the working tree as
the commands read them, and say which do not read (a commit hook, for pre-commit).

The configuration is read by ``config.load_config`` (its stages, types, gates, overrides
and signing keys); each ``*.yaml`` file under the models' directory (``models/NAME.yaml``,
``models/fraud/tx.yaml`` for the model ``fraud/tx``) by ``collect.spec_from_blob``, as
``register`` reads it. A file whose name is no model name is reported too: no command
would ever read it.
"""

from __future__ import annotations

import os
from pathlib import Path

from git_model.collect import spec_from_blob
from git_model.config import CONFIG_FILE, RegistryConfig, load_config
from git_model.errors import InvalidFile
from git_model.gitcmd import Git
from git_model.names import is_model_name
from git_model.results import FileCheck, Validation
from git_model.safeyaml import read_file


def validate(repo: Path | str | None = None) -> Validation:
    """Check the working tree's configuration and models' YAML files."""
    git = Git.discover(None if repo is None else Path(repo))
    root = git.root
    files = []
    config = RegistryConfig()
    if (root / CONFIG_FILE).exists() or (root / CONFIG_FILE).is_symlink():
        try:
            config = load_config(root)
            files.append(FileCheck(CONFIG_FILE, None))
        except InvalidFile as exc:
            files.append(FileCheck(CONFIG_FILE, _problem(exc, root)))
    for path in _yaml_files(root / config.models_dir):
        relative = path.relative_to(root).as_posix()
        name = path.relative_to(root / config.models_dir).with_suffix("").as_posix()
        problem = None
        if not is_model_name(name):
            problem = f"{name!r} is not a model name, so no command reads this file"
        else:
            try:
                spec_from_blob(relative, read_file(path, relative))
            except InvalidFile as exc:
                problem = _problem(exc, root)
        files.append(FileCheck(relative, problem))
    return Validation(config.stages, tuple(files))


def _yaml_files(directory: Path) -> list[Path]:
    """The ``.yaml`` files below ``directory`` (symbolic links to directories are not
    followed; links to files are listed, and ``read_file`` reads only regular files)."""
    found = []
    for where, _, names in os.walk(directory):
        found += [Path(where) / n for n in names if n.endswith(".yaml")]
    return sorted(found)


def _problem(error: InvalidFile, root: Path) -> str:
    """What is wrong, where: the file's place in the repository (and line), and the detail."""
    where = error.path.removeprefix(f"{root}{os.sep}")
    return f"{where}: {error.detail}"

"""git-model: a model registry that lives entirely in a Git repository.

The public API is :mod:`git_model.api`; its results are the frozen dataclasses there and
in :mod:`git_model.state`; its errors derive from :class:`git_model.errors.GitModelError`.
"""


def __getattr__(name: str) -> str:
    # Computed on first use: importlib.metadata is not free, and start-up time matters.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("git-model")
        except PackageNotFoundError:  # a source tree that is not installed
            return "0.0.0+unknown"
    raise AttributeError(name)

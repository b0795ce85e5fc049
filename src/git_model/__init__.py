"""git-model: a model registry that lives entirely in a Git repository.

The public API is :mod:`git_model.api` (docs/python-api.md): its functions, and the frozen
dataclasses they return and hold, all importable from it; its errors derive from
:class:`git_model.errors.GitModelError`.
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

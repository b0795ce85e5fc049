"""Shell completion: the code ``git model completion SHELL`` prints.

Each script asks the ``git-model`` executable for the words that complete the command line,
through typer's protocol (``_GIT_MODEL_COMPLETE=complete_SHELL``); the commands' arguments
offer model names, versions and stages from the tags' names (``api.complete``). Every
script completes ``git-model ...`` and, through the shell's own Git completion,
``git model ...``.
"""

from __future__ import annotations

from enum import StrEnum


class Shell(StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


# Git's completion (git-completion.bash) calls _git_model for `git model ...`, with the
# words in `words`, the current one at `cword` and `model` at `__git_cmd_idx` (Git 2.30
# and later; before, at 1).
_BASH = """\
# git model: completion for bash. Load it from ~/.bashrc:
#     eval "$(git model completion bash)"
_git_model_complete() {  # $1: the index of the word to complete in "git-model ${@:2}"
    local cword=$1 IFS=$'\\n'
    shift
    COMPREPLY=($(COMP_WORDS="git-model $*" COMP_CWORD=$cword \\
        _GIT_MODEL_COMPLETE=complete_bash git-model 2>/dev/null))
}
_git_model() {  # git model ...
    local at=${__git_cmd_idx:-1}
    _git_model_complete $((cword - at)) "${words[@]:at+1}"
}
_git_model_standalone() {  # git-model ...
    _git_model_complete "$COMP_CWORD" "${COMP_WORDS[@]:1}"
}
complete -o default -F _git_model_standalone git-model
"""

# zsh's Git completion calls _git-model for `git model ...`, with `words` starting at
# `model`, as they start at `git-model` for the command itself.
_ZSH = """\
#compdef git-model
# git model: completion for zsh. Load it from ~/.zshrc, after compinit:
#     eval "$(git model completion zsh)"
_git-model() {
    eval "$(_GIT_MODEL_COMPLETE=complete_zsh _TYPER_COMPLETE_ARGS="git-model ${words[2,CURRENT]}" \\
        git-model 2>/dev/null)"
}
compdef _git-model git-model
"""

# fish reads completions by command name, so the rule for `git model ...` must be read at
# start-up: fish's own Git completion passes it on to git-model's rule only from fish 3.6.1.
_FISH = """\
# git model: completion for fish. Save it where fish reads it at start-up:
#     git model completion fish > ~/.config/fish/conf.d/git-model.fish
function __git_model_complete -a action
    set -l line (commandline -cp | string replace -r '^\\s*git\\s+model\\b' git-model)
    env _GIT_MODEL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=$action \\
        _TYPER_COMPLETE_ARGS="$line" git-model 2>/dev/null
end
function __git_model_after_git
    set -l words (commandline -opc)
    test "$words[2]" = model
end
complete --command git-model --no-files --arguments '(__git_model_complete get-args)' \\
    --condition '__git_model_complete is-args'
complete --command git --no-files --arguments '(__git_model_complete get-args)' \\
    --condition '__git_model_after_git; and __git_model_complete is-args'
"""

SCRIPTS = {Shell.BASH: _BASH, Shell.ZSH: _ZSH, Shell.FISH: _FISH}

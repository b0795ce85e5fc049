from git_model.cli import main

main()

"""`python -m cli`: the `upl` command."""

from cli import main

main()

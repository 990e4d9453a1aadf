"""`python -m nashra` is the `nashra` command."""

from nashra.cli import main

main()

"""python -m carechain → the command line."""

from carechain.cli import main

main()

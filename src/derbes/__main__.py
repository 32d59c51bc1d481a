"""``python -m derbes``: the same as the ``derbes`` command."""

from derbes.cli import main

if __name__ == "__main__":
    main()

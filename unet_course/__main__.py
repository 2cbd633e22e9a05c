"""``python -m unet_course train | segment | evaluate``: see :mod:`unet_course.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())

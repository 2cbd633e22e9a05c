"""``python -m unet_course.experiments NAME... [--out DIR] [--into-package] [--list]``."""

from .registry import main

if __name__ == "__main__":
    main()

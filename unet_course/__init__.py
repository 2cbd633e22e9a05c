"""unet_course: the package behind the course "Image segmentation with FCN and U-Net".

One home for each job, named after the paper's sections and the course's chapters:

- ``runtime``: device, profile, seeds, threads, banner, ``eval_mode``, ``PeakMemory``,
  ``look_up_option``.
- ``models``: U-Net (paper section 2, chapter 05), FCN (chapters 02-04), the sliding-window net.
- ``ops``: upsampling (chapter 03) and receptive fields (chapters 02, 04) by hand.
- ``data``: synthetic cells and EM, ISBI 2012, the nuclei image, training tiles.
- ``augment``: section 3.1's augmentation, a NumPy core and its batched torch version (chapter 07).
- ``mirror``: mirror extrapolation, shared by tiling (Fig. 2) and augmentation (section 3.1).
- ``tiling``: Fig. 2's overlap-tile strategy and the only inference code (chapter 06).
- ``weightmap`` (eq. 2) and ``losses`` (eq. 1): chapter 08.
- ``metrics``: IoU, instance matching, boundary F-score, the ISBI 2012 errors (chapters 01, 04, 09).
- ``train``: the one training loop, its history and checkpoints.
- ``experiments``: every chapter experiment, the recipes of the shipped checkpoints, one command
  line (chapters 04, 07, 08, 09).
- ``viz``: all plotting; ``fonts``: the Korean font for figures; ``files``: the one atomic file writer.
- ``quiz`` and ``questions``: exercise checks and their banks (every chapter).
- ``distributed``: data-parallel training under torchrun (appendix, chapter 11).
- ``segment``, ``cli`` and ``cli_train``: ``python -m unet_course train | segment | evaluate`` (or the
  ``unet-course`` command) on your own images.
- ``grading``: ``python -m unet_course grade``, a study group's notebooks run and their exercise
  checks tabulated (every chapter).

Import the module you need:

>>> from unet_course import runtime, metrics
"""

__version__ = "0.1.0"

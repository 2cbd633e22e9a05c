"""Segmentation networks of the course: FCN (chapters 02-04) and U-Net (chapters 05-09)."""

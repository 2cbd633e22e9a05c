"""Segmentation networks of the course: FCN (chapters 02-04) and U-Net (chapters 05-09)."""
from .unet import ConvBlock, UNet, UpBlock, center_crop  # noqa: F401
from .fcn import FCN, convolutionalize, patch_classifier  # noqa: F401

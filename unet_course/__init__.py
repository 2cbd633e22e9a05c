"""unet_course: the package behind the course "Image segmentation with FCN and U-Net".

Modules: ``runtime`` (device, profile, seeding), ``data`` (synthetic and real images),
``metrics`` (accuracy, IoU, ISBI 2012 errors), ``models`` (FCN, U-Net), ``ops`` (upsampling and
receptive fields by hand), ``tiling`` (overlap-tile), ``augment``, ``weightmap``, ``losses``,
``train``, ``quiz``, ``viz`` and ``widgets``. Import the module you need:

>>> from unet_course import runtime, metrics
"""

__version__ = "0.1.0"

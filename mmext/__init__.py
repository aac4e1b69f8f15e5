"""mmext: OpenMMLab 2.0 plugins for DCFL, refined GFL (YOLOv8), FANet, MMMC and CogSeg.

``import mmext`` (or ``custom_imports = dict(imports=['mmext'])`` in a config) first applies the
compatibility fixes of :mod:`mmext.utils.compat` and then registers every mmext module into the
registry of the toolbox it belongs to (mmdet, mmrotate, mmseg, mmpretrain).
"""
from .utils import compat as _compat

_compat.apply_all()

from mmengine.config.utils import MODULE2PACKAGE  # noqa: E402

# lets configs inherit mmext's configs from other projects: _base_ = 'mmext::...'
MODULE2PACKAGE.setdefault('mmext', 'mmext')

from . import datasets, engine, evaluation, models, structures  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']

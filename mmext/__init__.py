"""mmext: OpenMMLab 2.0 plugins."""
from .version import __version__

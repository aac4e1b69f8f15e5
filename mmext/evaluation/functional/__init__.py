"""mmext.evaluation.functional: metric helpers shared by the metrics."""
from .det_curves import default_curve_dir, plot_det_curves, save_det_curves

__all__ = ['default_curve_dir', 'plot_det_curves', 'save_det_curves']

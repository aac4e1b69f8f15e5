"""mmext.evaluation.metrics."""
from .dice_sens_spec_metric import DiceSensSpecMetric
from .det_prf1_metric import DetPRF1Metric

__all__ = ['DiceSensSpecMetric', 'DetPRF1Metric']

"""mmext.engine.hooks."""
from .loss_gap_hook import LossGapHook

__all__ = ['LossGapHook']

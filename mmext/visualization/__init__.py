"""mmext.visualization: figures of the papers' analyses."""
from .frm_panels import find_frm, overlay, reduce_map, to_heatmap, visualize_frm

__all__ = ['reduce_map', 'to_heatmap', 'overlay', 'find_frm', 'visualize_frm']

"""mmdet's CachedMosaic that mosaics every sample, as YOLOv8's Mosaic does."""
import copy

from mmdet.datasets.transforms import CachedMosaic
from mmdet.registry import TRANSFORMS


@TRANSFORMS.register_module()
class YOLOv8CachedMosaic(CachedMosaic):
    """:class:`~mmdet.datasets.transforms.CachedMosaic` without the cache-filling pass-through.

    mmdet's CachedMosaic returns the first samples of each worker unchanged until its cache holds
    more than 4 results. YOLOv8 mosaics every sample (probability 1), and the affine transform
    that follows crops a 2S x 2S mosaic back to S x S with ``border = -S / 2``, so an unmosaicked
    sample would come out at the wrong size. Here, while the cache holds fewer than 4 results, it
    is topped up with copies of the current one, so the first mosaics reuse the first images and
    every output is a 2S x 2S mosaic (with ``prob=1``). The mosaic itself is mmdet's.
    """

    def transform(self, results: dict) -> dict:
        while len(self.results_cache) < 4:
            self.results_cache.append(copy.deepcopy(results))
        return super().transform(results)

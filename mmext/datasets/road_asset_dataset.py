"""Thai-highway road-asset datasets of the refined-GFL paper (7 detection, 5 segmentation classes).

The paper's data (Panboonyuen et al., 2024) was collected by the authors with vehicle-mounted
cameras and is not public; these classes let users train on their own road-asset data. Such data
usually comes in the YOLO text layout; both dataset classes read either a COCO instances JSON
(``ann_file='annotations/instances_train.json'``, e.g. made by
``tools/dataset_converters/yolo2coco.py``) or a YOLO label folder directly
(``ann_file='labels/train/'`` with ``data_prefix=dict(img='images/train/')``).
"""
import os.path as osp

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

from .yolo_format import yolo_to_coco


@DATASETS.register_module()
class RoadAssetDataset(CocoDataset):
    """Road-asset detection: the paper's 7 classes (class id = position in ``classes``).

    ``ann_file`` is a COCO JSON file or a YOLO label folder (see the module docstring); in the
    YOLO case the images are the files under ``data_prefix['img']`` and an image without a label
    file has no objects. Malformed labels raise an error naming the file, line and field.
    """

    METAINFO = dict(
        classes=('pavilion', 'pedestrian bridge', 'information sign', 'single-arm pole',
                 'bus stop', 'warning sign', 'concrete guardrail'),
        palette=[(170, 110, 60), (90, 90, 200), (30, 110, 220), (150, 150, 160), (60, 170, 90),
                 (240, 200, 30), (215, 215, 205)])

    # what the YOLO reader accepts: boxes and polygons (polygons are kept as masks)
    yolo_task = 'detect'

    def COCOAPI(self, ann_file: str) -> COCO:  # noqa: N802  (mmdet's CocoDataset hook)
        """Load ``ann_file`` as a COCO API object; a YOLO label folder is converted in memory."""
        if not osp.isdir(ann_file):
            return COCO(ann_file)
        image_dir = self.data_prefix.get('img', '')
        coco = COCO()
        coco.dataset = yolo_to_coco(image_dir, ann_file, self.metainfo['classes'],
                                    task=self.yolo_task)
        coco.createIndex()
        coco.img_ann_map = coco.imgToAnns
        coco.cat_img_map = coco.catToImgs
        return coco


@DATASETS.register_module()
class RoadAssetInsSegDataset(RoadAssetDataset):
    """Road-asset instance segmentation: the paper's 5 classes; YOLO labels must be polygons."""

    METAINFO = dict(
        classes=('pavilion', 'pedestrian bridge', 'information sign', 'warning sign',
                 'concrete guardrail'),
        palette=[(170, 110, 60), (90, 90, 200), (30, 110, 220), (240, 200, 30),
                 (215, 215, 205)])
    yolo_task = 'segment'

    def parse_data_info(self, raw_data_info: dict):
        """CocoDataset's parsing, refusing objects without a mask (the seg pipeline needs one)."""
        for ann in raw_data_info['raw_ann_info']:
            if not ann.get('segmentation') and not ann.get('ignore', False):
                raise ValueError(
                    f"{self.ann_file}: annotation {ann.get('id')} of image "
                    f"{raw_data_info['raw_img_info']['file_name']} has no 'segmentation'; "
                    'instance segmentation needs a polygon or RLE mask for every object')
        return super().parse_data_info(raw_data_info)

"""Thai-highway road-asset datasets of the refined-GFL paper (7 detection, 5 segmentation classes).

The paper's data (Panboonyuen et al., 2024) was collected by the authors with vehicle-mounted
cameras and is not public; these classes let users train on their own road-asset data. Such data
usually comes in the YOLO text layout; both dataset classes read either a COCO instances JSON
(``ann_file='annotations/instances_train.json'``, e.g. made by
``tools/dataset_converters/yolo2coco.py``) or a YOLO label folder directly
(``ann_file='labels/train/'`` with ``data_prefix=dict(img='images/train/')``).

Class names come from the dataset: the ``names`` of its ``data.yaml`` (found at ``data_root``,
or named by ``data_yaml``), else the categories of the COCO JSON, else the paper's classes. A
config that names classes (``metainfo=dict(classes=...)``) must agree with the dataset; where they
disagree the dataset stops with both lists instead of silently dropping the objects of the
classes it does not know (mmdet's ``CocoDataset`` keeps only categories named in ``classes``).
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

from .yolo_format import read_data_yaml, yolo_to_coco


def _palette(classes: Sequence[str], known: dict) -> List[tuple]:
    """A colour per class: the paper's colour for a paper class name (any case), otherwise a
    fixed golden-ratio hue walk."""
    import colorsys
    out = []
    for i, name in enumerate(classes):
        key = str(name).lower().replace('_', ' ').replace('-', ' ')
        if key in known:
            out.append(known[key])
        else:
            r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.65, 0.9)
            out.append((int(r * 255), int(g * 255), int(b * 255)))
    return out


@DATASETS.register_module()
class RoadAssetDataset(CocoDataset):
    """Road-asset detection: the paper's 7 classes by default (class id = position in
    ``classes``), or the dataset's own (see the module docstring).

    ``ann_file`` is a COCO JSON file or a YOLO label folder (see the module docstring); in the
    YOLO case the images are the files under ``data_prefix['img']`` and an image without a label
    file has no objects. Malformed labels raise an error naming the file, line and field.

    Args:
        data_yaml (str, optional): The Ultralytics data yaml whose ``names`` (a list or an
            {id: name} dict) are the classes; relative to ``data_root``. ``'auto'`` (default)
            reads ``<data_root>/data.yaml`` when it exists; None reads no yaml.
        degenerate_labels (str): For a YOLO label folder: 'error' (default) refuses a
            zero-area object with its file and line, 'skip' leaves such objects out with a
            warning that counts them.
        Others as mmdet's ``CocoDataset``.

    Raises:
        ValueError: the yaml's names, the config's ``metainfo`` classes and the COCO JSON's
            categories disagree (both lists are given).
    """

    METAINFO = dict(
        classes=('pavilion', 'pedestrian bridge', 'information sign', 'single-arm pole',
                 'bus stop', 'warning sign', 'concrete guardrail'),
        palette=[(170, 110, 60), (90, 90, 200), (30, 110, 220), (150, 150, 160), (60, 170, 90),
                 (240, 200, 30), (215, 215, 205)])

    # what the YOLO reader accepts: boxes and polygons (polygons are kept as masks)
    yolo_task = 'detect'

    def __init__(self, *args, data_yaml: Optional[str] = 'auto',
                 degenerate_labels: str = 'error', **kwargs) -> None:
        self.degenerate_labels = degenerate_labels
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        self._config_classes = tuple(metainfo['classes']) if 'classes' in metainfo else None
        self.data_yaml = self._find_data_yaml(data_yaml, kwargs.get('data_root', ''))
        if self.data_yaml is not None:
            names = tuple(read_data_yaml(self.data_yaml)['names'])
            if self._config_classes is not None and self._config_classes != names:
                raise ValueError(
                    f'{self.data_yaml}: the dataset names {len(names)} classes {list(names)}, '
                    f'the config ({type(self).__name__} metainfo) {len(self._config_classes)} '
                    f'{list(self._config_classes)}; make them the same (or drop the config\'s '
                    'classes to take the yaml\'s)')
            metainfo['classes'] = names
        if 'classes' in metainfo and 'palette' not in metainfo:
            known = dict(zip((c.lower() for c in self.METAINFO['classes']),
                             self.METAINFO['palette']))
            metainfo['palette'] = _palette(metainfo['classes'], known)
        super().__init__(*args, metainfo=metainfo or None, **kwargs)

    @staticmethod
    def _find_data_yaml(data_yaml: Optional[str], data_root: str) -> Optional[str]:
        if data_yaml is None:
            return None
        if data_yaml == 'auto':
            path = osp.join(data_root or '', 'data.yaml')
            return path if osp.isfile(path) else None
        path = data_yaml if osp.isabs(data_yaml) else osp.join(data_root or '', data_yaml)
        if not osp.isfile(path):
            raise FileNotFoundError(f'data_yaml not found: {path}')
        return path

    def COCOAPI(self, ann_file: str) -> COCO:  # noqa: N802  (mmdet's CocoDataset hook)
        """Load ``ann_file`` as a COCO API object; a YOLO label folder is converted in memory.

        The JSON's categories are checked against ``classes`` (see the class docstring).
        """
        if not osp.isdir(ann_file):
            coco = COCO(ann_file)
            self._check_categories(coco, ann_file)
            return coco
        image_dir = self.data_prefix.get('img', '')
        coco = COCO()
        coco.dataset = yolo_to_coco(image_dir, ann_file, self.metainfo['classes'],
                                    task=self.yolo_task, degenerate=self.degenerate_labels)
        coco.dataset['info'].pop('image_root', None)
        coco.createIndex()
        coco.img_ann_map = coco.imgToAnns
        coco.cat_img_map = coco.catToImgs
        return coco

    def _check_categories(self, coco: COCO, ann_file: str) -> None:
        """Refuse a JSON whose annotated categories are not all classes, or whose categories
        lack a class; without a yaml or config classes, take the JSON's categories."""
        cats = sorted(coco.dataset.get('categories', []), key=lambda c: c['id'])
        names = [c['name'] for c in cats]
        classes = list(self.metainfo['classes'])
        if self.data_yaml is None and self._config_classes is None:
            if names and names != classes:  # the dataset's own names (no yaml, no config)
                self._metainfo['classes'] = tuple(names)
                known = dict(zip((c.lower() for c in self.METAINFO['classes']),
                                 self.METAINFO['palette']))
                self._metainfo['palette'] = _palette(names, known)
            return
        annotated = {coco.cats[a['category_id']]['name'] for a in coco.dataset['annotations']
                     if a.get('category_id') in coco.cats}
        dropped = sorted(annotated - set(classes))
        absent = [c for c in classes if c not in names]
        if dropped or absent:
            source = self.data_yaml or f'the config ({type(self).__name__} metainfo)'
            raise ValueError(
                f'{ann_file}: its categories {names} and the classes of {source} {classes} '
                f'disagree (objects of {dropped} would be dropped; {absent} have no category); '
                'use the same names in both')

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

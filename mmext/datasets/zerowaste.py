"""ZeroWaste-f (Bashkirova et al., CVPR 2022): semantic segmentation of waste on a conveyor belt.

The public release (Zenodo record 6412647, ``zerowaste-f-final.zip``) unzips to::

    splits_final_deblurred/
        train/data/*.PNG      RGB frames                (3002 in the paper's count)
        train/sem_seg/*.PNG   label maps, same names    (values 0-4)
        train/labels.json     COCO instances (not used for semantic segmentation)
        val/...   (572)       test/...  (929)

Note the upper-case ``.PNG``. Labels: 0 background, 1 rigid_plastic, 2 cardboard, 3 metal,
4 soft_plastic; background is a real class (``reduce_zero_label=False``), 255 is ignored.

The folder level: the zip's top folder is ``splits_final_deblurred/`` itself, so ``data_root``
is the folder the zip was unzipped into (``data/zerowaste-f/`` in the configs), the one that
*holds* ``splits_final_deblurred/``; ``data_prefix`` adds ``splits_final_deblurred/<split>/...``.
"""
import logging
import os
import os.path as osp
from typing import List, Optional

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

__all__ = ['ZeroWasteDataset', 'ZEROWASTE_F_SPLIT_SIZES']

# frames per split of ZeroWaste-f (the counts given by the ZeroWaste paper, whose test split the
# FANet paper reports). A split read from the released layout with another count is reported.
ZEROWASTE_F_SPLIT_SIZES = dict(train=3002, val=572, test=929)


def _split_of(img_dir: str) -> Optional[str]:
    """``'train'`` for ``.../train/data`` (the released layout), else None."""
    parts = osp.normpath(str(img_dir)).replace('\\', '/').split('/')
    if len(parts) >= 2 and parts[-1] == 'data' and parts[-2] in ZEROWASTE_F_SPLIT_SIZES:
        return parts[-2]
    return None


def _is_synthetic(img_dir: str, data_root: Optional[str]) -> bool:
    """A set under a ``data/synthetic/`` folder, or one written by mmext's synthetic generator
    (``mmext.datasets.synthetic.generate`` leaves a ``.done`` marker in its root)."""
    from .synthetic import DONE_MARKER
    parts = osp.normpath(osp.abspath(str(img_dir))).replace('\\', '/').split('/')
    if any(a == 'data' and b == 'synthetic' for a, b in zip(parts, parts[1:])):
        return True
    return bool(data_root) and osp.isfile(osp.join(data_root, DONE_MARKER))


@DATASETS.register_module()
class ZeroWasteDataset(BaseSegDataset):
    """ZeroWaste-f in its released layout.

    Typical use (see ``configs/fanet/_base_/datasets/zerowaste-f.py``)::

        dict(type='ZeroWasteDataset', data_root='data/zerowaste-f/',
             data_prefix=dict(img_path='splits_final_deblurred/train/data',
                              seg_map_path='splits_final_deblurred/train/sem_seg'))

    Besides what :class:`mmseg.datasets.BaseSegDataset` does, loading fails with a message naming
    the folder when it holds no ``img_suffix`` images (with a hint when the files use another
    letter case, e.g. ``.png``) and naming the frame when its label map is missing. When a split
    is read from the released layout (``.../<train|val|test>/data``, no ``ann_file``) and its
    number of frames differs from the paper's (:data:`ZEROWASTE_F_SPLIT_SIZES`: 3002 / 572 /
    929), a warning names the split, the folder and both counts; loading goes on (a subset may
    be intended). Synthetic sets (under ``data/synthetic/`` or written by mmext's generator) are
    not checked.
    """

    METAINFO = dict(
        classes=('background', 'rigid_plastic', 'cardboard', 'metal', 'soft_plastic'),
        # the released visualisation palette of the FANet code (test_zerowaste.py)
        palette=[[10, 10, 10], [230, 5, 5], [4, 200, 3], [204, 5, 255], [5, 128, 148]])

    def __init__(self,
                 img_suffix: str = '.PNG',
                 seg_map_suffix: str = '.PNG',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', None)
        ann_dir = self.data_prefix.get('seg_map_path', None)
        local = not (self.backend_args or '://' in str(img_dir))
        if local and not self.ann_file and not osp.isdir(img_dir):
            raise FileNotFoundError(f'ZeroWasteDataset: image folder {img_dir!r} (data_prefix.'
                                    'img_path under data_root) does not exist')
        data_list = super().load_data_list()
        if not local:
            return data_list
        if not data_list:
            others = sorted({osp.splitext(n)[1] for n in os.listdir(img_dir)}) \
                if osp.isdir(img_dir) else []
            hint = f'; it holds files ending in {others} (set img_suffix/seg_map_suffix)' \
                if others else ''
            raise FileNotFoundError(f'ZeroWasteDataset: no *{self.img_suffix} images in '
                                    f'{img_dir!r}{hint}')
        if ann_dir:
            missing = [d for d in data_list if not osp.isfile(d['seg_map_path'])]
            if missing:
                raise FileNotFoundError(
                    f'ZeroWasteDataset: {len(missing)} of {len(data_list)} frames have no label '
                    f'map in {ann_dir!r} (data_prefix.seg_map_path), e.g. '
                    f'{missing[0]["img_path"]!r} needs {missing[0]["seg_map_path"]!r}')
        self._check_split_size(img_dir, len(data_list))
        return data_list

    def _check_split_size(self, img_dir: str, found: int) -> None:
        split = _split_of(img_dir)
        if split is None or self.ann_file or _is_synthetic(img_dir, self.data_root):
            return
        expected = ZEROWASTE_F_SPLIT_SIZES[split]
        if found == expected:
            return
        sizes = ' / '.join(f'{k} {v}' for k, v in ZEROWASTE_F_SPLIT_SIZES.items())
        print_log(
            f'ZeroWasteDataset: the {split} split in {img_dir!r} has {found} frames, but '
            f'ZeroWaste-f has {expected} (paper: {sizes}). Going on with the {found} found; if '
            'this is not an intended subset, check that the zip is complete and that data_root '
            'is the folder holding splits_final_deblurred/ (configs/fanet/README.md, Data).',
            logger='current', level=logging.WARNING)

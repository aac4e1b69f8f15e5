"""MedSeg COVID-19 CT segmentation slices as low-/high-resolution pairs (CogSeg, Sang et al.).

``mmext.datasets.converters.medseg_covid`` (``tools/dataset_converters/medseg_covid.py``) turns the MedSeg NIfTI volumes (COVID-19_1:
``tr_im.nii.gz``/``tr_mask.nii.gz``; COVID-19_2: ``rp_im/*.nii.gz``/``rp_msk/*.nii.gz``) into::

    data/medseg_covid19_1/                      (and data/medseg_covid19_2/)
        images/{train,test}/<name>.png          512x512 windowed slice: the high-resolution
                                                image, the SR target (``img_path``)
        images_lr/{train,test}/<name>.png       256x256 down-sampled slice: the network input
                                                (``lr_img_path``)
        annotations/{train,test}/<name>.png     512x512 label map (``seg_map_path``)
        lung_masks/{train,test}/<name>.png      512x512 lung mask, 0/1 (``lung_mask_path``,
                                                when the MedSeg lung masks were converted)

Labels: 0 background, 1 ground-glass opacity, 2 consolidation, 3 pleural effusion; background is
a real class (``reduce_zero_label=False``), 255 is ignored.

``img_path`` is the high-resolution slice, the image the label map belongs to (mmseg's
visualiser draws predictions on it). The CogSeg pipelines load it, augment it with its label map
and derive the network input from it (``DeriveLRInput``); ``data_prefix.lr_img_path`` is then
optional. ``LoadSRPairFromFile`` instead loads the converter's ``lr_img_path`` PNG as the input
(identical without augmentation).
"""
import logging
import os
import os.path as osp
from typing import List

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

__all__ = ['MedSegCOVIDDataset']


@DATASETS.register_module()
class MedSegCOVIDDataset(BaseSegDataset):
    """MedSeg COVID-19 CT slices with a low-resolution input next to each high-resolution slice.

    Typical use (see ``configs/cogseg/_base_/datasets/medseg_covid19_1.py``)::

        dict(type='MedSegCOVIDDataset', data_root='data/medseg_covid19_1/',
             data_prefix=dict(img_path='images/train', lr_img_path='images_lr/train',
                              seg_map_path='annotations/train'))

    Each data info gets ``lr_img_path`` and ``lung_mask_path`` (same file name under
    ``data_prefix.lr_img_path`` / ``data_prefix.lung_mask_path``) when those prefixes are given.
    Loading fails with a message naming the folder or the file when the image folder is empty or
    missing, or a slice has no low-resolution input or no label map.
    """

    METAINFO = dict(
        classes=('background', 'ground-glass opacity', 'consolidation', 'pleural effusion'),
        palette=[[0, 0, 0], [255, 200, 0], [230, 40, 40], [40, 120, 255]])

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix.get('img_path', None)
        lr_dir = self.data_prefix.get('lr_img_path', None)
        ann_dir = self.data_prefix.get('seg_map_path', None)
        lung_dir = self.data_prefix.get('lung_mask_path', None)
        local = not (self.backend_args or '://' in str(img_dir))
        if local and not self.ann_file and not osp.isdir(img_dir):
            raise FileNotFoundError(f'MedSegCOVIDDataset: image folder {img_dir!r} (data_prefix.'
                                    'img_path under data_root) does not exist; convert the data '
                                    'with tools/dataset_converters/medseg_covid.py')
        if lung_dir and local and not osp.isdir(lung_dir):
            print_log(f'MedSegCOVIDDataset: no lung-mask folder {lung_dir!r} (data_prefix.'
                      'lung_mask_path); the inside-the-lung metrics are left out',
                      logger='current', level=logging.WARNING)
            lung_dir = None
        data_list = super().load_data_list()
        for info in data_list:
            rel = osp.relpath(info['img_path'], img_dir) if img_dir else \
                osp.basename(info['img_path'])
            if lr_dir:
                info['lr_img_path'] = osp.join(lr_dir, rel)
            if lung_dir:
                info['lung_mask_path'] = osp.join(lung_dir, rel)
        if not local:
            return data_list
        if not data_list:
            others = sorted({osp.splitext(n)[1] for n in os.listdir(img_dir)})
            hint = f'; it holds files ending in {others}' if others else ''
            raise FileNotFoundError(f'MedSegCOVIDDataset: no *{self.img_suffix} slices in '
                                    f'{img_dir!r}{hint}')
        for key, field, folder in (('lr_img_path', 'data_prefix.lr_img_path', lr_dir),
                                   ('seg_map_path', 'data_prefix.seg_map_path', ann_dir),
                                   ('lung_mask_path', 'data_prefix.lung_mask_path', lung_dir)):
            if not folder:
                continue
            missing = [d for d in data_list if not osp.isfile(d[key])]
            if missing:
                raise FileNotFoundError(
                    f'MedSegCOVIDDataset: {len(missing)} of {len(data_list)} slices have no '
                    f'{key} ({field}), e.g. {missing[0]["img_path"]!r} needs '
                    f'{missing[0][key]!r}')
        return data_list

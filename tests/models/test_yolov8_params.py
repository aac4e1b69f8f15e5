"""Parameter counts of YOLOv8 n-x (80 classes) against the published models.

Detection: Ultralytics' model summaries (n 3,157,200; s 11,166,560; m 25,902,640; l 43,691,520;
x 68,229,648) include the 16 fixed weights of the DFL projection conv, which mmdet's Integral
keeps as a buffer, so the counts must match exactly up to those 16. Segmentation: the published
table (3.4M, 11.8M, 27.3M, 46.0M, 71.8M) within 1 %.
"""
import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

import mmext  # noqa: F401

SIZES = {  # neck/head in_channels, C2f blocks in the neck, prototype channels
    'n': ([64, 128, 256], 1, 64),
    's': ([128, 256, 512], 1, 128),
    'm': ([192, 384, 576], 2, 192),
    'l': ([256, 512, 512], 3, 256),
    'x': ([320, 640, 640], 3, 320),
}
DET = dict(n=3_157_200, s=11_166_560, m=25_902_640, l=43_691_520, x=68_229_648)
SEG = dict(n=3.4e6, s=11.8e6, m=27.3e6, l=46.0e6, x=71.8e6)


def count(size, seg):
    register_all_modules(init_default_scope=False)
    ch, blocks, protos = SIZES[size]
    head = dict(type='YOLOv8InsHead' if seg else 'YOLOv8Head', num_classes=80, in_channels=ch)
    if seg:
        head['proto_channels'] = protos
    model = MODELS.build(dict(
        type='SingleStageDetector',
        data_preprocessor=dict(type='mmdet.DetDataPreprocessor'),
        backbone=dict(type='YOLOv8CSPDarknet', arch=size),
        neck=dict(type='YOLOv8PAFPN', in_channels=ch, num_csp_blocks=blocks),
        bbox_head=head))
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('size', list(SIZES))
def test_detector_params_match_published(size):
    assert count(size, seg=False) == DET[size] - 16


@pytest.mark.parametrize('size', list(SIZES))
def test_segmenter_params_match_published(size):
    n = count(size, seg=True)
    assert abs(n - SEG[size]) / SEG[size] < 0.01, n

"""Panels of FANet's Feature Refinement Module on one image (the paper's Fig. 6).

:func:`visualize_frm` runs a segmentor on an image, captures the input ``F`` of the FRM inside
``backbone.stages[stage][block].attn`` and writes, as colour-mapped PNGs at the image's size:

    a_image.png         the input image                                      Fig. 6 (a)
    b_frm_input.png     F, the FRM's input                                   (b)
    c_frm_R.png         R, high-frequency detail (R = F - Q by default)      (c)
    d_frm_S.png         S = F * Q, low-frequency blobs                       (d)
    e_frm_output.png    the FRM's output                                     (e)
    f_prediction.png    the predicted label map over the image               (f)
    g_ground_truth.png  the ground truth over the image (with ``gt``)        (g)

Each ``(C, h, w)`` map is reduced to one channel (:func:`reduce_map`: L2 norm over channels by
default, or the mean, the mean absolute value, or the max) and min-max scaled for display.
``tools/analysis_tools/visualize_frm.py`` is the command line over it.
"""
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np
import torch

__all__ = ['reduce_map', 'to_heatmap', 'overlay', 'find_frm', 'visualize_frm']


def reduce_map(feat: torch.Tensor, how: str = 'norm') -> np.ndarray:
    """``(1, C, h, w)`` or ``(C, h, w)`` -> ``(h, w)`` float array."""
    feat = feat.detach().float().reshape(-1, *feat.shape[-2:])
    if how == 'norm':
        out = feat.norm(dim=0)
    elif how == 'mean':
        out = feat.mean(dim=0)
    elif how == 'absmean':
        out = feat.abs().mean(dim=0)
    elif how == 'max':
        out = feat.max(dim=0).values
    else:
        raise ValueError(f'unknown reduction {how!r}; use norm, mean, absmean or max')
    return out.cpu().numpy()


def to_heatmap(values: np.ndarray, size) -> np.ndarray:
    """Min-max scale ``(h, w)`` values, resize to ``size=(W, H)``, JET colour map, BGR uint8."""
    lo, hi = float(values.min()), float(values.max())
    scaled = np.zeros_like(values) if hi - lo < 1e-12 else (values - lo) / (hi - lo)
    scaled = cv2.resize(scaled.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    return cv2.applyColorMap(np.round(scaled * 255).astype(np.uint8), cv2.COLORMAP_JET)


def overlay(img_bgr: np.ndarray, label: np.ndarray, palette, alpha: float = 0.5) -> np.ndarray:
    """Blend a label map (class indices, 255 ignored) in the dataset palette over the image."""
    color = np.zeros_like(img_bgr)
    valid = label != 255
    pal = np.asarray(palette, np.uint8)[:, ::-1]  # RGB -> BGR
    color[valid] = pal[np.clip(label[valid], 0, len(pal) - 1)]
    out = img_bgr.copy()
    out[valid] = (alpha * color[valid] + (1 - alpha) * img_bgr[valid]).astype(np.uint8)
    return out


def find_frm(model, stage: int, block: int):
    backbone = getattr(model, 'backbone', None)
    if backbone is None or not hasattr(backbone, 'stages'):
        raise TypeError(f'visualize_frm: the model backbone is {type(backbone).__name__}, '
                        'not FANet')
    if not -len(backbone.stages) <= stage < len(backbone.stages):
        raise IndexError(f'visualize_frm: --stage {stage} out of range '
                         f'(the backbone has {len(backbone.stages)} stages)')
    blocks = backbone.stages[stage]
    if not -len(blocks) <= block < len(blocks):
        raise IndexError(f'visualize_frm: --block {block} out of range (stage {stage} has '
                         f'{len(blocks)} blocks)')
    frm = getattr(blocks[block].attn, 'enhance', None)
    if frm is None:
        raise ValueError('visualize_frm: this FANet was built without the FRM '
                         '(afe_cfg use_frm_high=use_frm_low=False)')
    return frm


def visualize_frm(config: str, checkpoint: str, image: str, out_dir: str, gt: Optional[str] = None,
              stage: int = 2, block: int = -1, reduce: str = 'norm', device: str = 'cpu',
              cfg_options: Optional[dict] = None) -> Dict[str, str]:
    """Write the Fig. 6 panels for ``image`` into ``out_dir``; returns ``{panel: path}``."""
    from mmengine.config import Config
    from mmseg.apis import inference_model, init_model

    import mmext  # noqa: F401  (registers FANet)
    img = cv2.imread(image, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'visualize_frm: cannot read image {image}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.model.backbone.init_cfg = None  # the checkpoint holds every weight
    model = init_model(cfg, checkpoint, device=device)
    frm = find_frm(model, stage, block)
    captured = {}
    handle = frm.register_forward_hook(lambda m, args, out: captured.setdefault('F', args[0]))
    try:
        result = inference_model(model, img)
    finally:
        handle.remove()
    if 'F' not in captured:
        raise RuntimeError('visualize_frm: the FRM did not run')
    with torch.no_grad():
        maps = frm.forward_with_intermediates(captured['F'])
    size = (img.shape[1], img.shape[0])
    os.makedirs(out_dir, exist_ok=True)
    panels = {'a_image': img}
    panels['b_frm_input'] = to_heatmap(reduce_map(maps['F'], reduce), size)
    panels['c_frm_R'] = to_heatmap(reduce_map(maps['R'], reduce), size)
    panels['d_frm_S'] = to_heatmap(reduce_map(maps['S'], reduce), size)
    panels['e_frm_output'] = to_heatmap(reduce_map(maps['out'], reduce), size)
    palette = model.dataset_meta.get('palette') if model.dataset_meta else None
    if palette is None:
        num = int(result.seg_logits.data.shape[0])
        palette = np.random.default_rng(0).integers(0, 255, size=(num, 3)).tolist()
    pred = result.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
    panels['f_prediction'] = overlay(img, pred, palette)
    if gt:
        label = cv2.imread(gt, cv2.IMREAD_UNCHANGED)
        if label is None:
            raise FileNotFoundError(f'visualize_frm: cannot read ground truth {gt}')
        if label.ndim == 3:
            label = label[..., 0]
        panels['g_ground_truth'] = overlay(img, label.astype(np.int64), palette)
    paths = {}
    for name, panel in panels.items():
        paths[name] = osp.join(out_dir, f'{name}.png')
        if not cv2.imwrite(paths[name], panel):
            raise OSError(f'visualize_frm: could not write {paths[name]}')
    return paths

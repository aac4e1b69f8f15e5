"""One ``img_scale`` for every pipeline of a run, read when the run starts."""
from typing import List, Optional, Sequence, Tuple

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


def _scale_pair(value, where: str) -> Tuple[int, int]:
    if isinstance(value, int):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, int) and v > 0 for v in value)):
        raise ValueError(f'{where}: img_scale must be a positive int or (w, h) ints, got '
                         f'{value!r}')
    return int(value[0]), int(value[1])


def set_img_scale(transform, scale: Tuple[int, int]) -> List[str]:
    """Set the training size ``scale`` (w, h) on one transform, built or as a config dict.

    The fields that follow the training size in YOLOv8's recipe:

    * ``Mosaic`` / ``CachedMosaic`` / ``YOLOv8CachedMosaic``: ``img_scale`` = (w, h) (the mosaic
      is 2w x 2h);
    * ``RandomAffine`` / ``YOLOv8RandomAffine`` with a non-zero ``border`` (the one after a
      mosaic): ``border`` = (-w // 2, -h // 2), which crops the mosaic back to w x h;
    * ``Resize`` with a fixed ``scale``: ``scale`` = (w, h);
    * ``Pad`` with a fixed ``size``: ``size`` = (w, h).

    Returns the names of the fields changed (empty when nothing differed).
    """
    is_cfg = isinstance(transform, dict)
    kind = transform.get('type', '') if is_cfg else type(transform).__name__
    kind = kind if isinstance(kind, str) else getattr(kind, '__name__', str(kind))

    def get(name):
        return transform.get(name) if is_cfg else getattr(transform, name, None)

    def put(name, value):
        old = get(name)
        if old is not None and tuple(old) == tuple(value):
            return []
        if is_cfg:
            transform[name] = tuple(value)
        else:
            setattr(transform, name, tuple(value))
        return [f'{kind}.{name}']

    w, h = scale
    if kind.endswith('Mosaic'):
        return put('img_scale', (w, h))
    if kind.endswith('RandomAffine'):
        border = get('border')
        if border is not None and tuple(border) != (0, 0):
            return put('border', (-w // 2, -h // 2))
        return []
    if kind == 'Resize' and get('scale') is not None:
        return put('scale', (w, h))
    if kind == 'Pad' and get('size') is not None:
        return put('size', (w, h))
    return []


def _leaf_datasets(dataset):
    if hasattr(dataset, 'datasets'):  # ConcatDataset
        for d in dataset.datasets:
            yield from _leaf_datasets(d)
    elif hasattr(dataset, 'dataset'):  # RepeatDataset, ClassBalancedDataset, ...
        yield dataset
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset


@HOOKS.register_module()
class ImgScaleHook(Hook):
    """Apply one training size to the train, val and test pipelines and to the switch pipeline
    of a pipeline-switch hook, when the run starts.

    A config's pipelines copy ``img_scale`` when the file is read, so ``--cfg-options
    img_scale=...`` used to change nothing. This hook reads the config's top-level ``img_scale``
    (``runner.cfg.img_scale``, with the command line merged) unless given one, and sets it on
    every transform of the built pipelines by :func:`set_img_scale`, logging what it changed.

    Args:
        img_scale (int | tuple[int, int], optional): (w, h); None reads ``runner.cfg.img_scale``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, img_scale: Optional[Sequence[int]] = None) -> None:
        self.img_scale = None if img_scale is None else _scale_pair(img_scale, type(self).__name__)

    def before_run(self, runner) -> None:
        scale = self.img_scale
        if scale is None:
            value = runner.cfg.get('img_scale', None)
            if value is None:
                raise KeyError(f'{type(self).__name__}: the config has no top-level img_scale; '
                               'set one or give the hook img_scale=(w, h)')
            scale = _scale_pair(tuple(value) if isinstance(value, list) else value,
                                'config img_scale')
        changed = []
        for name in ('_train_loop', '_val_loop', '_test_loop'):
            loop = getattr(runner, name, None)
            loader = getattr(loop, 'dataloader', None)
            if loader is None:
                continue
            for dataset in _leaf_datasets(loader.dataset):
                pipeline = getattr(dataset, 'pipeline', None)
                for t in getattr(pipeline, 'transforms', []):
                    changed += [f'{name[1:]}: {c}' for c in set_img_scale(t, scale)]
        for hook in runner.hooks:
            for t in getattr(hook, 'switch_pipeline', None) or []:
                changed += [f'{type(hook).__name__}: {c}' for c in set_img_scale(t, scale)]
        runner.logger.info(f'{type(self).__name__}: img_scale {scale}'
                           + (f'; set {", ".join(changed)}' if changed else ''))

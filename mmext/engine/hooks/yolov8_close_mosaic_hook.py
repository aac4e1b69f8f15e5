"""YOLOv8's close-mosaic stage, timed from the end of training (``train_cfg.max_epochs``)."""
from typing import Optional, Sequence

from mmdet.engine.hooks import PipelineSwitchHook
from mmdet.registry import HOOKS


@HOOKS.register_module()
class YOLOv8CloseMosaicHook(PipelineSwitchHook):
    """Switch the train pipeline to ``switch_pipeline`` for the last ``close_mosaic_epochs``
    epochs (Ultralytics' ``close_mosaic``), and validate every ``val_interval`` epochs from then.

    mmdet's :class:`PipelineSwitchHook` takes an absolute ``switch_epoch``, written in configs as
    ``max_epochs - 10`` and so fixed when the file is read: ``--cfg-options
    train_cfg.max_epochs=50`` left the switch at epoch 90. Here the switch epoch is computed when
    training starts, ``max(runner.max_epochs - close_mosaic_epochs, 0)`` (Ultralytics: with
    ``close_mosaic >= epochs`` mosaic is off from the start), and the validation interval from
    then on (mmyolo's ``dynamic_intervals=[(max_epochs - 10, 1)]``) is set on the train loop.

    Args:
        close_mosaic_epochs (int): Epochs at the end of training without mosaic (YOLOv8: 10).
        switch_pipeline (list[dict]): The pipeline of those epochs.
        switch_epoch (int, optional): An absolute switch epoch instead (overrides the above).
        val_interval (int, optional): Validation interval from the switch on (YOLOv8
            validates every epoch: 1); None leaves the train loop's intervals as configured.
    """

    def __init__(self, close_mosaic_epochs: int, switch_pipeline: Sequence[dict],
                 switch_epoch: Optional[int] = None, val_interval: Optional[int] = 1) -> None:
        if int(close_mosaic_epochs) != close_mosaic_epochs or close_mosaic_epochs < 0:
            raise ValueError(f'{type(self).__name__}: close_mosaic_epochs must be a '
                             f'non-negative integer, got {close_mosaic_epochs!r}')
        if val_interval is not None and val_interval < 1:
            raise ValueError(f'{type(self).__name__}: val_interval must be >= 1 or None, got '
                             f'{val_interval!r}')
        super().__init__(switch_epoch=switch_epoch, switch_pipeline=switch_pipeline)
        self.close_mosaic_epochs = int(close_mosaic_epochs)
        self.fixed_switch_epoch = switch_epoch
        self.val_interval = val_interval

    def resolve_switch_epoch(self, max_epochs: int) -> int:
        """The 0-based epoch from which ``switch_pipeline`` is used."""
        if self.fixed_switch_epoch is not None:
            return int(self.fixed_switch_epoch)
        return max(int(max_epochs) - self.close_mosaic_epochs, 0)

    def before_train(self, runner) -> None:
        self.switch_epoch = self.resolve_switch_epoch(runner.max_epochs)
        runner.logger.info(f'{type(self).__name__}: mosaic closes at epoch {self.switch_epoch} '
                           f'of {runner.max_epochs}')
        loop = runner.train_loop
        if self.val_interval is None or not hasattr(loop, 'dynamic_milestones'):
            return
        keep = [i for i, m in enumerate(loop.dynamic_milestones) if m < self.switch_epoch]
        milestones = [loop.dynamic_milestones[i] for i in keep] + [self.switch_epoch]
        intervals = [loop.dynamic_intervals[i] for i in keep] + [self.val_interval]
        if milestones[0] != 0:  # the loop's first entry is the interval from epoch 0
            milestones.insert(0, 0)
            intervals.insert(0, loop.val_interval)
        loop.dynamic_milestones, loop.dynamic_intervals = milestones, intervals

"""Stop a run whose heads and datasets disagree on the classes."""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class ClassNamesCheckHook(Hook):
    """Before training, validation and testing, check that every head's ``num_classes`` equals
    the number of classes of the dataset it sees, and that the config's top-level
    ``num_classes`` (when it has one) reached the model.

    mmdet's ``NumClassCheckHook`` does the first with an assertion; this one raises a
    ``ValueError`` that names the dataset's annotation file and its class names, so a data.yaml
    with other names than the config is caught before the first iteration.
    """

    priority = 'VERY_HIGH'

    def _check(self, runner, loop_name: str) -> None:
        loop = getattr(runner, loop_name, None)
        loader = getattr(loop, 'dataloader', None)
        if loader is None:
            return
        dataset = loader.dataset
        while not hasattr(dataset, 'metainfo') and hasattr(dataset, 'dataset'):
            dataset = dataset.dataset
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if classes is None:
            return
        classes = list(classes)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        where = f'{type(dataset).__name__}({getattr(dataset, "ann_file", "")})'
        for name, module in model.named_modules():
            num = getattr(module, 'num_classes', None)
            if not isinstance(num, int) or 'rpn' in name.lower() or not name:
                continue
            if num != len(classes):
                raise ValueError(
                    f'model.{name}.num_classes is {num} but the '
                    f'{loop_name[1:].replace("_loop", "")} dataset {where} has {len(classes)} '
                    f'classes {classes}; set model.{name}.num_classes={len(classes)} (and the '
                    'config\'s num_classes) or give the dataset the config\'s classes')
        top = runner.cfg.get('num_classes', None)
        heads = {getattr(m, 'num_classes') for n, m in model.named_modules()
                 if n and 'rpn' not in n.lower() and isinstance(getattr(m, 'num_classes', None),
                                                                 int)}
        if isinstance(top, int) and heads and top not in heads:
            raise ValueError(f'the config sets num_classes={top} but the model has '
                             f'num_classes {sorted(heads)}: a top-level variable is copied into '
                             'the fields that use it when the file is read, so overriding it '
                             'changes nothing; override those fields (model.bbox_head.'
                             'num_classes, and optim_wrapper.optimizer.lr where the config '
                             'derives it from num_classes) and keep num_classes equal to them')

    def before_train(self, runner) -> None:
        self._check(runner, '_train_loop')
        self._check(runner, '_val_loop')

    def before_val(self, runner) -> None:
        self._check(runner, '_val_loop')

    def before_test(self, runner) -> None:
        self._check(runner, '_test_loop')

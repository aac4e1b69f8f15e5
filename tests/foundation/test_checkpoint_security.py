"""Checkpoint loading is strict on both stacks, and what else differs between them (issue 15).

Every path by which mmengine loads a checkpoint (``CheckpointLoader``, ``load_checkpoint``,
``Runner`` ``load_from`` and ``resume``, URLs) refuses a pickled payload without running it, on
the pinned stack and on OneDL (whose own ``_safe_torch_load`` would fall back to
``weights_only=False``); loading never shrinks torch's global allowlist. No monkeypatching: these
run the code as ``import mmext`` leaves it.
"""
import os
import pickle

import pytest
import torch

import mmext  # noqa: F401  (applies the fixes)
from mmext.utils import compat

TOY = 'configs/baselines/toy/toy-linear_synthetic.py'


class _Payload:
    """Unpickling this runs ``os.system`` — what a malicious checkpoint would carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': _Payload(str(marker))}, path)
    return str(path), marker


def _save_mmengine_like_checkpoint(path):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('checkpoint-security-test')
    hub.update_scalar('train/loss', 0.5)
    torch.save(dict(meta=dict(epoch=1, iter=3), state_dict={'weight': torch.ones(1, 1),
                                                             'bias': torch.zeros(1)},
                    message_hub=hub.state_dict()), path)
    return str(path)


def test_one_strict_loader_is_bound_where_mmengine_loads_checkpoints():
    from mmengine.runner import checkpoint
    if hasattr(checkpoint, '_safe_torch_load'):  # onedl-mmengine
        assert checkpoint._safe_torch_load is compat.strict_torch_load
    assert checkpoint.torch.load is compat.strict_torch_load  # mmengine 0.10.7 calls torch.load
    assert checkpoint.torch.nn is torch.nn  # everything else is torch's own
    assert checkpoint.load_url is compat.strict_load_url


def test_every_checkpoint_entry_point_refuses_a_payload_without_running_it(evil):
    from mmengine.runner import CheckpointLoader, checkpoint, load_checkpoint
    path, marker = evil
    calls = {
        'CheckpointLoader.load_checkpoint': lambda: CheckpointLoader.load_checkpoint(path, 'cpu'),
        'load_checkpoint': lambda: load_checkpoint(torch.nn.Linear(1, 1), path, 'cpu'),
        '_load_checkpoint': lambda: checkpoint._load_checkpoint(path, 'cpu'),
        'load_from_local': lambda: checkpoint.load_from_local(path, 'cpu'),
    }
    if hasattr(checkpoint, '_safe_torch_load'):  # OneDL's own helper, called directly
        calls['_safe_torch_load'] = lambda: checkpoint._safe_torch_load(path, map_location='cpu')
    for name, call in calls.items():
        with pytest.raises(pickle.UnpicklingError, match='refused'):
            call()
        assert not marker.exists(), f'the payload ran through {name}'


def test_url_checkpoints_are_loaded_strictly(tmp_path, evil):
    from mmengine.runner import checkpoint
    path, marker = evil
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        checkpoint.load_url('file://' + path, model_dir=str(tmp_path / 'hub'))
    assert not marker.exists(), 'the payload ran'
    ok = _save_mmengine_like_checkpoint(tmp_path / 'ok.pth')
    loaded = checkpoint.load_url('file://' + ok, model_dir=str(tmp_path / 'hub'))
    assert loaded['meta']['epoch'] == 1


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_runner_resume_and_load_from_refuse_a_payload(tmp_path, evil, how):
    from mmext import apis
    path, marker = evil
    cfg = apis.load_config(TOY)
    cfg = apis.setup_train_cfg(cfg, TOY, work_dir=str(tmp_path / 'work'),
                               resume=path if how == 'resume' else None)
    if how == 'load_from':
        cfg.load_from = path
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        apis.train(cfg)
    assert not marker.exists(), 'the payload ran'


def _missing_from_allowlist():
    current = torch.serialization.get_safe_globals()
    return [g for g in compat.CHECKPOINT_SAFE_GLOBALS if g not in current]


def test_loading_never_shrinks_the_global_allowlist(tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    path = _save_mmengine_like_checkpoint(tmp_path / 'ok.pth')
    assert compat.CHECKPOINT_SAFE_GLOBALS and not _missing_from_allowlist()
    for _ in range(2):  # twice: a context that removes entries on exit breaks the second load
        loaded = _load_checkpoint(path, map_location='cpu')
        assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
        assert not _missing_from_allowlist()
    # a plain torch.load (weights_only=True by default), as tests and user code do, still works
    assert isinstance(torch.load(path)['message_hub']['log_scalars']['train/loss'], HistoryBuffer)


def test_a_shrinking_context_elsewhere_does_not_break_checkpoint_loading(tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    path = _save_mmengine_like_checkpoint(tmp_path / 'ok.pth')
    with torch.serialization.safe_globals([HistoryBuffer]):  # torch 2.13: removes it on exit
        pass
    loaded = _load_checkpoint(path, map_location='cpu')  # re-adds what went missing
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert not _missing_from_allowlist()


def test_an_explicit_weights_only_false_is_the_callers_choice(tmp_path):
    path = _save_mmengine_like_checkpoint(tmp_path / 'ok.pth')
    assert compat.strict_torch_load(path, weights_only=False)['meta']['epoch'] == 1


def test_exactly_one_stack_is_installed():
    assert compat.installed_stack() in ('pinned', 'onedl')


@pytest.mark.parametrize('scope', ['mmdet', 'mmrotate', 'mmseg', 'mmpretrain'])
def test_toolbox_scope_config_inheritance(tmp_path, scope):
    from mmengine.config import Config
    path = tmp_path / f'{scope}_child.py'
    path.write_text(f"_base_ = ['{scope}::_base_/default_runtime.py']\nmarker = 1\n")
    cfg = Config.fromfile(str(path))
    assert cfg.marker == 1 and cfg.default_scope == scope


def test_dota_dataset_takes_img_shape_and_parses_labels_strictly(tmp_path):
    from mmrotate.datasets import DOTADataset, DOTAv2Dataset

    from mmext.datasets.synthetic import generate
    generate('dota', str(tmp_path), num_train=3, num_val=1)
    for cls in (DOTADataset, DOTAv2Dataset):
        ds = cls(data_root=str(tmp_path) + '/', ann_file='train/labelTxt/',
                 data_prefix=dict(img_path='train/images/'), img_shape=(256, 256), pipeline=[])
        info = ds.get_data_info(0)
        assert (info['height'], info['width']) == (256, 256)
        assert info['img_path'].endswith('P0000.png') and os.path.exists(info['img_path'])
        assert len(info['instances']) > 0  # the imagesource:/gsd: header lines are skipped
    bad = tmp_path / 'train' / 'labelTxt' / 'P0001.txt'
    bad.write_text(bad.read_text() + '1 2 3 plane 0\n')
    with pytest.raises(Exception, match='P0001.txt:'):
        DOTADataset(data_root=str(tmp_path) + '/', ann_file='train/labelTxt/',
                    data_prefix=dict(img_path='train/images/'), pipeline=[])

"""The compatibility fixes of mmext.utils.compat, each against the failure it covers."""
import collections
import os
import os.path as osp
import pickle

import pytest
import torch

import mmext  # noqa: F401  (applies the fixes)


def test_collections_sequence_and_mmrotate_registration():
    import inspect

    import mmrotate.models.detectors.refine_single_stage as refine
    if 'from collections import Sequence' in inspect.getsource(refine):  # mmrotate 1.0.0rc1
        assert collections.Sequence is collections.abc.Sequence
    else:  # onedl-mmrotate: the fix is a no-op
        assert not hasattr(collections, 'Sequence')
    from mmrotate.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    from mmrotate.registry import MODELS
    # RefineSingleStageDetector lives in the module that imports collections.Sequence
    assert MODELS.get('RefineSingleStageDetector') is not None


class _Payload:
    """Unpickling this runs ``os.system`` — what a malicious checkpoint would carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_is_refused_without_running(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': _Payload(str(marker))}, path)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists(), 'the payload ran'


def test_mmengine_checkpoint_contents_load_with_weights_only(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer, MessageHub
    from mmengine.runner.checkpoint import _load_checkpoint
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('iter', 3)
    ckpt = dict(meta=dict(epoch=1, iter=3, seed=0, dataset_meta=dict(classes=('a', 'b'))),
                state_dict={'w': torch.ones(2)}, message_hub=hub.state_dict(),
                extra=np.arange(3, dtype=np.float64))
    path = tmp_path / 'ok.pth'
    torch.save(ckpt, path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert loaded['meta']['dataset_meta']['classes'] == ('a', 'b')


def test_cpu_distributed_patch_is_installed():
    from mmengine.dist import utils as dist_utils
    assert getattr(dist_utils._init_dist_pytorch, '__mmext_cpu_aware__', False)
    assert getattr(dist_utils._init_dist_slurm, '__mmext_cpu_aware__', False)


def test_apply_all_is_idempotent():
    from mmext.utils import compat
    from mmengine.dist import utils as dist_utils
    before = dist_utils._init_dist_pytorch
    compat.apply_all()
    assert dist_utils._init_dist_pytorch is before


@pytest.mark.parametrize('target', ['init', 'ndarray'])
def test_getattr_in_a_checkpoint_is_limited_to_history_buffer_methods(tmp_path, target):
    import numpy as np
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint
    args = (HistoryBuffer, '__init__') if target == 'init' else (np.ndarray, 'tofile')

    class _Sneaky:
        def __reduce__(self):
            return (getattr, args)

    path = tmp_path / 'sneaky.pth'
    torch.save({'meta': _Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        _load_checkpoint(str(path), map_location='cpu')


def test_hrsc_height_comes_from_img_size_height(tmp_path):
    from mmrotate.datasets import HRSCDataset

    from mmext.datasets.synthetic import generate
    root = tmp_path
    generate('hrsc', str(root), num_trainval=3, num_test=1)
    ds = HRSCDataset(data_root=str(root) + '/', ann_file='ImageSets/trainval.txt',
                     data_prefix=dict(sub_data_root='FullDataSet/'), pipeline=[])
    import xml.etree.ElementTree as ET
    checked = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        xml = ET.parse(info['xml_path']).getroot()
        assert info['height'] == int(xml.find('Img_SizeHeight').text)
        assert info['width'] == int(xml.find('Img_SizeWidth').text)
        checked += info['height'] != info['width']
    assert checked > 0  # the synthetic HRSC set has non-square images


def test_dcn_v1_pack_runs_on_maps_smaller_than_its_kernel():
    from mmcv.ops import DeformConv2d, DeformConv2dPack
    conv = DeformConv2dPack(4, 6, 3, padding=1)
    x = torch.randn(1, 4, 2, 2)
    out = conv(x)
    assert out.shape == (1, 6, 2, 2)
    # same as the base class with the offsets the pack predicts
    torch.testing.assert_close(out, DeformConv2d.forward(conv, x, conv.conv_offset(x)))
    # with zero offsets it is a plain convolution on the (padded) map
    with torch.no_grad():
        conv.conv_offset.weight.zero_()
        conv.conv_offset.bias.zero_()
    ref = torch.nn.functional.conv2d(x, conv.weight, padding=1)
    torch.testing.assert_close(conv(x), ref, atol=1e-5, rtol=1e-5)

"""The YOLOv8 weight converter (mmext.models.converters.yolov8, and its command line
tools/model_converters/yolov8_to_mmext.py): Ultralytics YOLOv8(-seg) key names, written out from
the Ultralytics module layout, map onto every mmext parameter and buffer."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

import mmext  # noqa: F401
from mmext.models.converters import convert_yolov8_key, convert_yolov8_state_dict

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'yolov8_to_mmext.py')

BN = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']


def conv(prefix):  # Ultralytics Conv: conv (no bias) + bn
    return [f'{prefix}.conv.weight'] + [f'{prefix}.bn.{k}' for k in BN]


def ultralytics_keys(blocks, neck_blocks, seg):
    """The state-dict keys of Ultralytics' yolov8{n,s}(-seg).yaml models."""
    keys = []
    c2f = {2: blocks[0], 4: blocks[1], 6: blocks[1], 8: blocks[0],
           12: neck_blocks, 15: neck_blocks, 18: neck_blocks, 21: neck_blocks}
    for i in range(22):
        if i in (0, 1, 3, 5, 7, 16, 19):
            keys += conv(f'model.{i}')
        elif i in c2f:
            keys += conv(f'model.{i}.cv1') + conv(f'model.{i}.cv2')
            for b in range(c2f[i]):
                keys += conv(f'model.{i}.m.{b}.cv1') + conv(f'model.{i}.m.{b}.cv2')
        elif i == 9:
            keys += conv('model.9.cv1') + conv('model.9.cv2')
    branches = ['cv2', 'cv3'] + (['cv4'] if seg else [])
    for name in branches:
        for level in range(3):
            p = f'model.22.{name}.{level}'
            keys += conv(f'{p}.0') + conv(f'{p}.1') + [f'{p}.2.weight', f'{p}.2.bias']
    keys.append('model.22.dfl.conv.weight')
    if seg:
        keys += conv('model.22.proto.cv1') + ['model.22.proto.upsample.weight',
                                              'model.22.proto.upsample.bias']
        keys += conv('model.22.proto.cv2') + conv('model.22.proto.cv3')
    return keys


@pytest.mark.parametrize('seg', [False, True])
def test_every_key_maps_and_loads_strictly(seg, tmp_path):
    register_all_modules(init_default_scope=True)
    head = dict(type='YOLOv8InsHead' if seg else 'YOLOv8Head', num_classes=80,
                in_channels=[64, 128, 256])
    if seg:
        head['proto_channels'] = 64
    model = MODELS.build(dict(
        type='SingleStageDetector', backbone=dict(type='YOLOv8CSPDarknet', arch='n'),
        neck=dict(type='YOLOv8PAFPN', in_channels=[64, 128, 256], num_csp_blocks=1),
        bbox_head=head))
    ours = model.state_dict()
    keys = ultralytics_keys(blocks=(1, 2), neck_blocks=1, seg=seg)
    mapped = {k: convert_yolov8_key(k) for k in keys}
    assert mapped['model.22.dfl.conv.weight'] is None
    targets = [v for v in mapped.values() if v is not None]
    assert len(set(targets)) == len(targets)
    assert set(targets) == set(ours) - {'bbox_head.integral.project'}
    # a fake Ultralytics state dict with our shapes and random values round-trips through files
    fake = {k: torch.randn(ours[v].shape) if ours[v].is_floating_point() else ours[v].clone()
            for k, v in mapped.items() if v is not None}
    fake['model.22.dfl.conv.weight'] = torch.arange(16.).view(1, 16, 1, 1)
    converted = convert_yolov8_state_dict(fake)
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert missing == ['bbox_head.integral.project'] and unexpected == []
    k = 'model.12.m.0.cv2.conv.weight'
    assert torch.equal(model.state_dict()[mapped[k]], fake[k])
    # a checkpoint dict with the weights under 'state_dict' converts the same
    assert list(convert_yolov8_state_dict(dict(state_dict=fake))) == list(converted)
    with pytest.raises(KeyError, match='not an Ultralytics'):
        convert_yolov8_key('backbone.stem.conv.weight')
    with pytest.raises(KeyError, match='layer 10 has no parameters'):
        convert_yolov8_key('model.10.conv.weight')


def test_command_line_writes_a_loadable_checkpoint(tmp_path):
    """The tool is argument parsing over the library function: files in, files out."""
    fake = {'model.0.conv.weight': torch.randn(16, 3, 3, 3),
            'model.22.cv3.1.2.bias': torch.randn(7),
            'model.22.dfl.conv.weight': torch.arange(16.).view(1, 16, 1, 1)}
    torch.save(fake, tmp_path / 'ultra.pt')
    out = subprocess.run([sys.executable, TOOL, str(tmp_path / 'ultra.pt'),
                          str(tmp_path / 'out.pth')], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert '2 tensors' in out.stdout
    state = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    assert set(state) == {'backbone.stem.conv.weight', 'bbox_head.cls_branches.1.2.bias'}
    assert torch.equal(state['bbox_head.cls_branches.1.2.bias'], fake['model.22.cv3.1.2.bias'])

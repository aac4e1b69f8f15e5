"""tools/demo.py: every entry seeded, several seeds summarised as min / median / max, and the
foreground check read from the per-class table the test logs. Nothing trains here (the
subprocesses are replaced by fakes writing what tools/train.py and tools/test.py write)."""
import json
import os
import os.path as osp

import pytest

from mmext.apis import tables
from mmext.testing.tool_loader import load_tool

MMSEG_LOG = """12/07 16:00:00 - mmengine - INFO - per class results:
12/07 16:00:00 - mmengine - INFO -
+------------+-------+-------+
|   Class    |  IoU  |  Acc  |
+------------+-------+-------+
| background | 97.12 | 99.01 |
|   square   | 61.50 | 70.00 |
|   circle   |  0.0  |  0.0  |
+------------+-------+-------+
12/07 16:00:00 - mmengine - INFO - Iter(test) [8/8]  aAcc: 97.5000  mIoU: 52.8700
"""


@pytest.fixture(scope='module')
def demo():
    return load_tool('demo', module_name='demo_cli')


def test_per_class_table_and_foreground_check(demo):
    iou = tables.parse_class_table(MMSEG_LOG, 'IoU')
    assert iou == {'background': 97.12, 'square': 61.5, 'circle': 0.0}
    assert tables.parse_class_table(MMSEG_LOG, 'Acc')['square'] == 70.0
    assert tables.parse_class_table('no table here') == {}
    assert demo.learned(52.87, iou) == 'NO (lowest foreground IoU: circle 0.00)'
    assert demo.learned(60.0, dict(iou, circle=12.5)) == \
        'yes (lowest foreground IoU: circle 12.50)'
    assert demo.learned(0.21, {}) == 'yes' and demo.learned(0.0, {}) == 'NO'  # detection mAP


def test_seeds_summary_gives_min_median_max(demo):
    entry = dict(method='M', dataset='D', metric='m')
    results = [dict(status='ok', value=v, seconds=s, learned='yes')
               for v, s in ((0.5, 10), (0.2, 20), (0.3, 30))]
    text = demo.seeds_table([(entry, results)], [0, 1, 2])
    assert '| M | D | m | 0.2000 | 0.3000 | 0.5000 | seed 0: yes; seed 1: yes; seed 2: yes | ' \
        '0, 1, 2 | 20 s |' in text
    assert demo.median([4, 1, 3, 2]) == 2.5


def test_every_run_is_seeded_and_each_seed_has_its_own_work_dir(demo, tmp_path, monkeypatch):
    calls = []

    def fake_train(argv):
        calls.append(argv)
        wd = argv[argv.index('--work-dir') + 1]
        os.makedirs(wd, exist_ok=True)
        open(osp.join(wd, 'epoch_1.pth'), 'w').close()
        return 0

    def fake_test(cmd, log_path=None):
        calls.append(cmd.argv)
        wd = cmd.argv[cmd.argv.index('--work-dir') + 1]
        seed = int(cmd.argv[-1].split('=')[1])
        with open(osp.join(wd, 'test_metrics.json'), 'w') as f:
            json.dump(dict(metrics={'mIoU': 50.0 + seed}), f)
        with open(log_path, 'w') as f:
            f.write(MMSEG_LOG.replace('0.0  |  0.0', f'{seed}.0  |  1.0'))
        return 0
    monkeypatch.setattr(demo.subprocess, 'call', fake_train)
    monkeypatch.setattr(tables, 'execute', fake_test)
    entry = dict(method='M', dataset='D', data='seg', metric='mIoU',
                 config='configs/baselines/upernet_r18_synthetic-seg.py',
                 cfg_options=['train_cfg.max_iters=2'])
    res = [demo.run_entry(entry, str(tmp_path), seed, f'_seed{seed}') for seed in (0, 2)]
    assert [r['value'] for r in res] == [50.0, 52.0]
    assert res[0]['learned'].startswith('NO') and res[1]['learned'].startswith('yes')
    assert [c[-2:] for c in calls] == [['train_cfg.max_iters=2', 'randomness.seed=0']] * 2 + \
        [['train_cfg.max_iters=2', 'randomness.seed=2']] * 2
    assert res[1]['work_dir'] == str(tmp_path / 'upernet_r18_synthetic-seg_seed2')


def test_arguments(demo):
    assert demo.parse_args(['--seeds', '0', '1', '2']).seeds == [0, 1, 2]
    assert demo.parse_args(['--seed', '3']).seed == 3
    with pytest.raises(SystemExit):
        demo.parse_args(['--seed', '1', '--seeds', '2'])
    with pytest.raises(SystemExit):
        demo.parse_args(['--only', 'no_such_group'])

"""CogSeg end to end: the demo config trains on synthetic CT slices through tools/train.py's and
tools/test.py's code path and segments the lesions (clearly non-zero lesion Dice)."""
import os.path as osp

from mmext.testing import run_config, synthetic_root

DEMO = 'configs/cogseg/demo/cogseg_unet-s5-b8_1xb4-20e_synthetic-medseg-covid19-1.py'


def test_cogseg_demo_config_learns_lesions(tmp_path):
    # 64x64 slices (32x32 inputs) keep the run short; 28 training and 12 test slices
    root = synthetic_root('medseg', size=64, num_volumes=3, volume_size=64)
    data_root = osp.join(root, 'medseg_covid19_1') + '/'
    metrics = run_config(
        DEMO, str(tmp_path), cfg_options={
            'train_dataloader.dataset.dataset.data_root': data_root,
            'val_dataloader.dataset.data_root': data_root,
            'test_dataloader.dataset.data_root': data_root,
            'train_cfg.max_epochs': 12,
            'train_cfg.val_interval': 12,
            'default_hooks.checkpoint.interval': 12,
            'randomness': dict(seed=0),
        })
    # predicting background everywhere gives mIoU ~24 and a lesion Dice of 0
    assert metrics['mIoU'] > 35, metrics
    assert metrics['mDice_fg'] > 15, metrics
    assert 0 <= metrics['mSpec_fg'] <= 100 and 0 <= metrics['mSens'] <= 100

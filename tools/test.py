"""Test a checkpoint with an mmdet, mmrotate, mmseg or mmpretrain config; prints its metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--show-dir DIR]
                                           [--cfg-options k=v ...] [--launcher ...]
"""
import argparse
import os

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a model with mmext')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and test_metrics.json')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='save images with predictions drawn into this dir '
                        '(a relative path is placed inside the work dir)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmext.apis import format_metrics, load_config, setup_test_cfg, test
    cfg = load_config(args.config, args.cfg_options)
    cfg = setup_test_cfg(cfg, args.config, args.checkpoint, work_dir=args.work_dir,
                         out=args.out, show_dir=args.show_dir, launcher=args.launcher)
    metrics = test(cfg)
    if int(os.environ.get('RANK', '0')) == 0:
        print(format_metrics(metrics))
    return metrics


if __name__ == '__main__':
    main()

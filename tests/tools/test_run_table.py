"""The table runner (mmext.apis.tables, tools/run_table.py): planning, commands, reuse, seeds,
checkpoint choice, row chains and the model-size column. Training and testing are replaced by
fakes that write what tools/train.py and tools/test.py write, so nothing trains here."""
import json
import os.path as osp
import textwrap

import pytest

from mmext.apis import tables

TOY = 'configs/baselines/toy/toy-linear_synthetic.py'
COGSEG_2XB4 = 'configs/cogseg/cogseg_unet-s5-d16_2xb4-250e_medseg-covid19-1.py'
FANET_16XB80 = 'configs/fanet/fanet-t_16xb80_in1k.py'
FANET_SEG_1XB2 = 'configs/fanet/upernet_fanet-t_1xb2-40k_zerowaste-f-512x512.py'
MMMC = 'configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py'


def write_table(tmp_path, name, rows, extra=''):
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""
        title = 'T'
        metrics = [dict(name='MSE', key='toy/mse', scale=100)]
        rows = {rows}
        synthetic = ['train_cfg.max_epochs=1']
        """) + extra)
    return str(path)


def test_nxbm_is_parsed_from_the_config_name():
    assert tables.gpus_and_batch(FANET_16XB80) == (16, 80)
    assert tables.gpus_and_batch(FANET_SEG_1XB2) == (1, 2)
    assert tables.gpus_and_batch(COGSEG_2XB4) == (2, 4)
    assert tables.gpus_and_batch('configs/x/yolov8_s_rgfl_1xb16-100e_road-assets.py') == (1, 16)
    assert tables.gpus_and_batch(MMMC) is None  # no NxbM word
    assert tables.gpus_and_batch('configs/x/net8xb2_coco.py') is None  # not a word of its own
    with pytest.raises(ValueError, match='several NxbM'):
        tables.gpus_and_batch('configs/x/a_2xb4_8xb2_coco.py')


def plan(tmp_path, table_rows, **kw):
    path = write_table(tmp_path, 't.py', table_rows)
    return tables.plan_table(tables.load_table(path), path,
                             work_dir_root=str(tmp_path / 'wd'), **kw)


def test_each_row_runs_on_its_own_gpu_count_and_gpus_overrides_with_lr_scaling(tmp_path):
    rows = [dict(label='seg', config=COGSEG_2XB4), dict(label='cls', config=FANET_16XB80),
            dict(label='mmmc', config=MMMC)]
    p = plan(tmp_path, rows, launcher='pytorch')
    cmds = [tables.train_command(r, 'pytorch') for r in p.runs]
    assert [c.argv[3] for c in cmds] == ['2', '16', '1']  # dist_train.sh CONFIG GPUS
    assert not any('--auto-scale-lr' in c.argv for c in cmds)
    p = plan(tmp_path, rows, launcher='pytorch', gpus=4)
    cmds = [tables.train_command(r, 'pytorch') for r in p.runs]
    assert [c.argv[3] for c in cmds] == ['4', '4', '4']
    assert all('--auto-scale-lr' in c.argv for c in cmds)
    # a run on another GPU count than its NxbM has its own work dir
    assert len({r.work_dir for r in p.runs} & {r.work_dir for r in plan(
        tmp_path, rows, launcher='pytorch').runs}) == 0
    # slurm: the process count goes to the script through GPUS
    slurm = tables.train_command(plan(tmp_path, rows, launcher='slurm').runs[1], 'slurm', 'p')
    assert slurm.env['GPUS'] == '16' and str(slurm).startswith('GPUS=16 GPUS_PER_NODE=8 bash')
    # one process without a launcher: the 2xb4 row scales its LR from the batch 2 x 4 = 8
    run = plan(tmp_path, rows, launcher='none').runs[0]
    assert run.gpus == 1 and run.scale_lr
    from mmengine.config import Config
    assert tables.lr_scale_options(run, Config(dict())) == ['auto_scale_lr.base_batch_size=8']
    assert tables.lr_scale_options(run, Config(dict(auto_scale_lr=dict(base_batch_size=16)))) \
        == []  # the config's own base batch wins


def test_dry_run_lists_every_command_once_with_the_seed(tmp_path, capsys):
    rows = [dict(label='a', config=TOY), dict(label='b', config=TOY),  # the same run twice
            dict(label='c', config=TOY, cfg_options=['train_cfg.max_epochs=3'])]
    path = write_table(tmp_path, 't.py', rows)
    rc = tables.run_table(path, dry_run=True, work_dir_root=str(tmp_path / 'wd'), seeds=[0, 1])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.count('tools/train.py') == 4 and out.count('tools/test.py') == 4  # 2 runs x 2 seeds
    assert out.count('randomness.seed=0') == 4 and out.count('randomness.seed=1') == 4
    assert '== a, b (seed 0' in out
    wd = str(tmp_path / 'wd')
    assert f'--work-dir {wd}/toy-linear_synthetic ' in out  # the default run: train.py's dir
    assert f'--work-dir {wd}/toy-linear_synthetic_seed1 ' in out
    assert out.count('train_cfg.max_epochs=3') == 4


def fake_tools(monkeypatch, log, save_best_file=None):
    """Replace the subprocesses by what tools/train.py and tools/test.py leave in a work dir."""
    def execute(cmd, log_path=None):
        argv = cmd.argv
        wd = argv[argv.index('--work-dir') + 1]
        opts = argv[argv.index('--cfg-options') + 1:]
        seed = int([o for o in opts if o.startswith('randomness.seed=')][0].split('=')[1])
        if argv[1].endswith('train.py'):
            log.append(('train', wd))
            import os
            os.makedirs(wd, exist_ok=True)
            for name in ('epoch_1.pth', 'epoch_2.pth') + ((save_best_file, ) if save_best_file
                                                           else ()):
                open(osp.join(wd, name), 'w').close()
            with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(wd, 'epoch_2.pth'))
        else:
            ckpt = argv[3]
            log.append(('test', ckpt))
            value = {0: 0.40, 1: 0.42, 2: 0.47}[seed]
            with open(osp.join(wd, 'test_metrics.json'), 'w') as f:
                json.dump(dict(metrics={'toy/mse': value}, checkpoint=ckpt), f)
            with open(log_path, 'w') as f:
                f.write('INFO - per class results:\n+-------+-----+\n| Class | IoU |\n'
                        '+-------+-----+\n| road  | 1.0 |\n+-------+-----+\nINFO - done\n')
        return 0
    monkeypatch.setattr(tables, 'execute', execute)


def test_seeds_give_mean_and_std_and_finished_runs_are_reused(tmp_path, monkeypatch, capsys):
    log = []
    fake_tools(monkeypatch, log)
    path = write_table(tmp_path, 'first.py', [dict(label='toy', config=TOY)])
    wd = str(tmp_path / 'wd')
    assert tables.run_table(path, work_dir_root=wd, seeds=[0, 1, 2], complexity=False) == 0
    out = capsys.readouterr().out
    assert [k for k, _ in log] == ['train', 'test'] * 3
    # 40, 42, 47: mean 43, sample std sqrt((9 + 1 + 16) / 2) = sqrt(13) = 3.61
    assert '| toy | - | 43.00 ± 3.61 | last |' in out
    assert 'mean ± sample std over seeds 0, 1, 2' in out
    assert '| road  | 1.0 |' in out  # the per-class table the test logged
    # a second table with the same row: nothing trains again, same result
    log.clear()
    other = write_table(tmp_path, 'second.py', [dict(label='same toy', config=TOY)])
    assert tables.run_table(other, work_dir_root=wd, seeds=[0, 1, 2], complexity=False) == 0
    out = capsys.readouterr().out
    assert log == [] and out.count('reusing the finished run') == 3
    assert '| same toy | - | 43.00 ± 3.61 | last |' in out
    # collect-only reads the same work dirs
    assert tables.run_table(other, work_dir_root=wd, seeds=[0, 1], collect_only=True,
                            complexity=False) == 0
    assert '| same toy | - | 41.00 ± 1.41 |' in capsys.readouterr().out


def test_the_best_checkpoint_is_tested_where_the_config_saves_it(tmp_path, monkeypatch, capsys):
    log = []
    fake_tools(monkeypatch, log, save_best_file='best_toy_mse_epoch_1.pth')
    rows = [dict(label='best', config=TOY,
                 cfg_options=['default_hooks.checkpoint.save_best=toy/mse',
                              'default_hooks.checkpoint.rule=less']),
            dict(label='last', config=TOY)]
    path = write_table(tmp_path, 't.py', rows)
    assert tables.run_table(path, work_dir_root=str(tmp_path / 'wd'), complexity=False) == 0
    tested = [osp.basename(c) for k, c in log if k == 'test']
    assert tested == ['best_toy_mse_epoch_1.pth', 'epoch_2.pth']
    out = capsys.readouterr().out
    assert '| best | - | 40.00 | best toy/mse |' in out and '| last | - | 40.00 | last |' in out


def test_a_row_starts_from_the_checkpoint_of_the_row_it_names(tmp_path, monkeypatch, capsys):
    rows = [dict(label='seg', config=TOY, init_from=dict(row='pre', field='model.init_cfg',
                                                         prefix='backbone.')),
            dict(label='pre', key='pre', config=TOY, cfg_options=['train_cfg.max_epochs=1'])]
    p = plan(tmp_path, rows)
    assert [r.rows for r in p.runs] == [[1], [0]]  # the pre-training row first
    seg = p.runs[1]
    assert seg.parent is p.runs[0]
    cmd = tables.train_command(seg, parent_checkpoint='/w/pre/best.pth')
    assert cmd.argv[-3:] == ['model.init_cfg.type=Pretrained',
                             'model.init_cfg.checkpoint=/w/pre/best.pth',
                             'model.init_cfg.prefix=backbone.']
    # --rows with the dependent row alone also runs the row it starts from
    assert [r.rows for r in plan(tmp_path, rows, rows=[0]).runs] == [[1], [0]]
    # end to end with fakes: the dependent row's command names the parent's checkpoint
    log = []
    fake_tools(monkeypatch, log)
    recorded = []
    inner = tables.execute

    def spy(cmd, log_path=None):
        recorded.append(cmd.argv)
        return inner(cmd, log_path)
    monkeypatch.setattr(tables, 'execute', spy)
    path = write_table(tmp_path, 'chain.py', rows)
    wd = str(tmp_path / 'wd')
    assert tables.run_table(path, work_dir_root=wd, complexity=False) == 0
    pre_ckpt = osp.join(p.runs[0].work_dir, 'epoch_2.pth')
    assert f'model.init_cfg.checkpoint={pre_ckpt}' in recorded[2]  # seg's train command


def test_table_errors_name_the_file_and_row(tmp_path):
    bad = [dict(label='a', key='a', config=TOY, init_from=dict(row='b', field='model.init_cfg')),
           dict(label='b', key='b', config=TOY, init_from=dict(row='a', field='model.init_cfg'))]
    with pytest.raises(ValueError, match=r't.py: init_from forms a cycle: a -> b -> a'):
        tables.load_table(write_table(tmp_path, 't.py', bad))
    with pytest.raises(KeyError, match=r"rows\[0\] \(a\).init_from: no row has key 'zz'"):
        tables.load_table(write_table(tmp_path, 'u.py', [dict(
            label='a', config=TOY, init_from=dict(row='zz', field='model.init_cfg'))]))
    with pytest.raises(ValueError, match=r'flops_input must be \(channels, height, width\)'):
        tables.load_table(write_table(tmp_path, 'v.py', [dict(label='a', config=TOY,
                                                               flops_input=(512, 512))]))


def test_model_size_column_counts_parameters_and_flops(tmp_path):
    # Linear(1000 -> 1): 1001 parameters; on a (3, 10, 1000) input 3 * 10 * 1000 multiply-adds
    size = tables.model_complexity(TOY, ['model.in_features=1000'], flops_input=(3, 10, 1000))
    assert size['params_m'] == pytest.approx(1001 / 1e6)
    assert size['gflops'] == pytest.approx(30000 / 1e9)


def test_tool_is_argument_parsing_over_the_library(capsys):
    from mmext.testing.tool_loader import load_tool
    tool = load_tool('run_table', module_name='run_table_cli')
    assert tool.load_table is tables.load_table
    args = tool.parse_args(['t.py', '--seeds', '0', '1', '2', '--gpus', '8'])
    assert args.seeds == [0, 1, 2] and args.gpus == 8
    with pytest.raises(SystemExit):
        tool.parse_args(['t.py', '--seed', '1', '--seeds', '0'])
    with pytest.raises(SystemExit):
        tool.parse_args(['t.py', '--launcher', 'slurm'])


def test_per_class_output_is_picked_from_the_test_log():
    log = '\n'.join([
        '12/07 16:00:00 - mmengine - INFO - Load checkpoint from x.pth',
        '12/07 16:00:01 - mmengine - INFO - per class results:',
        '12/07 16:00:01 - mmengine - INFO - ',
        '+-------+-----+', '| Class | IoU |', '+-------+-----+', '| road  | 1.0 |',
        '+-------+-----+',
        '12/07 16:00:02 - mmengine - INFO - bbox per class (P, R, F1 at confidence 0.25):',
        'Class   Images  Instances      P      R',
        'all          4         10  0.500  0.400',
        'sign         4         10  0.500  0.400',
        '12/07 16:00:03 - mmengine - INFO - Iter(test) [4/4]  mIoU: 1.0000'])
    text = tables.per_class_tables(log)
    assert text.splitlines() == [
        '12/07 16:00:01 - mmengine - INFO - per class results:', '',
        '+-------+-----+', '| Class | IoU |', '+-------+-----+', '| road  | 1.0 |',
        '+-------+-----+',
        '12/07 16:00:02 - mmengine - INFO - bbox per class (P, R, F1 at confidence 0.25):',
        'Class   Images  Instances      P      R',
        'all          4         10  0.500  0.400',
        'sign         4         10  0.500  0.400']
    # no per-class output: the end of the log
    plain = '\n'.join(f'line {i}' for i in range(40))
    assert tables.per_class_tables(plain, tail=3) == 'line 37\nline 38\nline 39'


def test_a_metric_can_read_a_record_of_a_work_dir_json(tmp_path, monkeypatch, capsys):
    """MMMC Tables 4-5: the values are what LossGapHook wrote into <work_dir>/loss_gap.json,
    record by record; the second table with the same rows reuses the runs."""
    log = []
    fake_tools(monkeypatch, log)
    real_execute = tables.execute

    def execute(cmd, log_path=None):
        rc = real_execute(cmd, log_path)
        if cmd.argv[1].endswith('train.py'):  # what the hook writes during training
            wd = cmd.argv[cmd.argv.index('--work-dir') + 1]
            with open(osp.join(wd, 'loss_gap.json'), 'w') as f:
                json.dump([dict(iter=0, loss_gap=0.1694, loss_sum=0.58),
                           dict(iter=4, loss_gap=0.15, loss_sum=0.5)], f)
        return rc
    monkeypatch.setattr(tables, 'execute', execute)
    metrics = """metrics = [dict(name='15k', key='loss_gap', file='loss_gap.json', index=0,
                                  digits=3),
                             dict(name='30k', key='loss_gap', file='loss_gap.json', index=1,
                                  digits=3),
                             dict(name='45k', key='loss_gap', file='loss_gap.json', index=2)]
    """
    path = write_table(tmp_path, 'gap.py', [dict(label='toy', config=TOY,
                                                 paper={'15k': 0.169})], extra=metrics)
    wd = str(tmp_path / 'wd')
    assert tables.run_table(path, work_dir_root=wd, complexity=False) == 0
    # index 2 does not exist: '-' rather than an error
    assert '| toy | 0.169 | 0.169 | - | 0.150 | - | - | last |' in capsys.readouterr().out
    bad = write_table(tmp_path, 'bad.py', [dict(label='toy', config=TOY)],
                      extra="metrics = [dict(name='x', key='loss_gap', file='loss_gap.json')]\n")
    with pytest.raises(TypeError, match=r'bad.py: metrics\[0\] reads a work-dir file'):
        tables.load_table(bad)

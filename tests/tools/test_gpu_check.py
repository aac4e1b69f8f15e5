"""tools/misc/gpu_check.sh and the training-step benchmark it runs, checked without a GPU."""
import json
import re
import subprocess
import sys


def test_gpu_check_script_parses_and_refuses_unknown_stages():
    assert subprocess.run(['bash', '-n', 'tools/misc/gpu_check.sh']).returncode == 0
    out = subprocess.run(['bash', 'tools/misc/gpu_check.sh', 'nonsense'], capture_output=True,
                         text=True)
    assert out.returncode == 2 and 'usage' in out.stderr


def test_gpu_machine_requirements_are_pinned_once():
    names = []
    for line in open('requirements/gpu_machine.txt'):
        line = line.split('#', 1)[0].strip()
        if line:
            assert re.fullmatch(r'[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*', line), line
            names.append(re.sub(r'[-_.]+', '-', line.split('==')[0].lower()))
    assert len(names) == len(set(names))
    # the OpenMMLab stack at the versions of requirements/mminstall.txt (mmcv is built there)
    pins = dict(line.split('#')[0].strip().split('==') for line in open('requirements/mminstall.txt')
                if '==' in line)
    gpu = dict(line.split('#')[0].strip().split('==') for line in open('requirements/gpu_machine.txt')
               if '==' in line.split('#')[0])
    for name, version in pins.items():
        if name != 'mmcv':
            assert gpu[name] == version, name


def test_benchmark_train_step_times_steps_and_the_assigner(tmp_path):
    out = tmp_path / 'step.json'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_train_step.py',
         'configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py', '--img-size', '64', '112', '--num-gts',
         '12', '--batch', '1', '--steps', '1', '--warmup', '0', '--threads', '1', '--out',
         str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '| configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py |' in proc.stdout
    result = json.load(open(out))['results'][0]
    assert result['assigners'] == 1            # the DCFL head's assigner was found and timed
    assert result['step_ms'] > 0 and 0 < result['assign_share'] < 1
    assert result['vs_first'] == 1.0


def test_benchmark_train_step_refuses_amp_on_cpu():
    proc = subprocess.run([sys.executable, 'tools/analysis_tools/benchmark_train_step.py',
                           'configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py', '--amp'],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and '--amp needs a CUDA device' in proc.stderr

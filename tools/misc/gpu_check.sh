#!/usr/bin/env bash
# The GPU check: build mmcv's CUDA ops against the torch already installed on a GPU machine, run
# mmext's CUDA tests, then the speed benchmarks the papers' claims need, and write a short results
# file. Made for a GPU machine that reaches no package index: everything it installs is brought
# along in .whl/ (made here, on a machine that reaches one, by the `prepare` stage).
#
#   bash tools/misc/gpu_check.sh prepare   # here: download the wheels + mmcv's source into .whl/
#   bash tools/misc/gpu_check.sh dry-run   # here: check the script, the wheels and every non-GPU part
#   bash tools/misc/gpu_check.sh all       # on the GPU machine: build + test + bench (about 10 min)
#   bash tools/misc/gpu_check.sh build|test|bench   # one stage (build is reused while /tmp lasts)
#
# Environment:
#   RESULTS_DIR   where logs and results.md go (default work_dirs/gpu_check)
#   PYTHON        the interpreter that has CUDA torch (default python3); `prepare` uses .venv's
#   GPU_PYTHON_VERSION  Python version of the GPU machine's interpreter, for `prepare` (default 3.12)
#   SITE          where the wheels are installed with --target (default /tmp/mmext_site)
#   MMCV_BUILD    where mmcv is unpacked and built in place (default /tmp/mmext_mmcv)
#
# Nothing is installed into the interpreter's own site-packages: the wheels go to $SITE and mmcv
# is built in place, both put on PYTHONPATH together with this repository (so `import mmext`
# needs no install). mmcv's TORCH_CUDA_ARCH_LIST is the visible GPU's compute capability only,
# and MAX_JOBS the machine's core count.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
STAGE=${1:-all}
PYTHON=${PYTHON:-python3}
RESULTS_DIR=${RESULTS_DIR:-work_dirs/gpu_check}
SITE=${SITE:-/tmp/mmext_site}
MMCV_BUILD=${MMCV_BUILD:-/tmp/mmext_mmcv}
MMCV_VERSION=2.0.1
WHEELS="$ROOT/.whl"
REQS="$ROOT/requirements/gpu_machine.txt"
mkdir -p "$RESULTS_DIR"
RESULTS=$(cd "$RESULTS_DIR" && pwd)/results.md
START=$(date +%s)

say() { echo "==> [$(( $(date +%s) - START ))s] $*"; }
record() { echo "$*" >> "$RESULTS"; }

use_site() {
  export PYTHONPATH="$MMCV_BUILD/mmcv-$MMCV_VERSION:$SITE:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  export PYTHONUNBUFFERED=1
}

stage_prepare() {
  # Binary wheels for the GPU machine's Python (x86-64 manylinux); pure-Python ones work anywhere.
  local pyver=${GPU_PYTHON_VERSION:-3.12}
  # pip reads mmcv's metadata by running its setup.py, which imports torch: use the venv's pip
  local pip_py=python3
  [ -x "$ROOT/.venv/bin/python" ] && pip_py="$ROOT/.venv/bin/python"
  mkdir -p "$WHEELS/src"
  say "downloading the wheels of $REQS for CPython $pyver into $WHEELS"
  grep -v '^\s*#' "$REQS" | sed 's/#.*//' | grep -v '^\s*$' > "$WHEELS/requirements.txt"
  "$pip_py" -m pip download -q --no-deps --only-binary=:all: --python-version "$pyver" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 --platform any -d "$WHEELS" -r "$WHEELS/requirements.txt" \
    || { echo "!! pip download failed" >&2; return 1; }
  say "downloading the mmcv $MMCV_VERSION source distribution"
  "$pip_py" -m pip download -q --no-deps --no-build-isolation --no-binary :all: \
    "mmcv==$MMCV_VERSION" -d "$WHEELS/src" \
    || { echo "!! could not download mmcv's source" >&2; return 1; }
  du -sh "$WHEELS"
}

stage_dry_run() {
  local fail=0
  say "bash -n"
  bash -n "$0" || fail=1
  say "every requirement has exactly one wheel in $WHEELS"
  while read -r req; do
    # distribution names compared normalised (case, '-' / '_' / '.'), as pip does
    name=$(echo "$req" | sed 's/[=<>].*//' | tr 'A-Z.-' 'a-z__')
    n=$(ls "$WHEELS" | grep '\.whl$' | sed 's/-.*//' | tr 'A-Z.-' 'a-z__' | grep -cx "$name" || true)
    [ "$n" = 1 ] || { echo "!! $req: $n wheels"; fail=1; }
  done < <(grep -v '^\s*#' "$REQS" | sed 's/#.*//' | grep -v '^\s*$')
  ls "$WHEELS"/src/mmcv-$MMCV_VERSION.tar.gz >/dev/null || fail=1
  say "the CUDA tests on the CPU (MMEXT_GPU_TEST_DEVICE=cpu: both sides on the CPU)"
  MMEXT_GPU_TEST_DEVICE=cpu $PYTHON -m pytest tests/gpu -q -p no:cacheprovider || fail=1
  say "the benchmarks' command lines, tiny sizes on the CPU"
  bench_commands cpu tiny || fail=1
  return $fail
}

stage_build() {
  say "python: $($PYTHON -c 'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)')"
  $PYTHON -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "!! torch sees no GPU" >&2; return 1; }
  say "installing the wheels into $SITE (no index, no dependencies resolved: all are listed)"
  $PYTHON -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHEELS"/*.whl || return 1
  use_site
  if $PYTHON -c "import mmcv, mmcv.ops, torch; from mmcv.ops import nms_rotated; assert mmcv.__version__ == '$MMCV_VERSION'; nms_rotated(torch.rand(3, 5).cuda() * 10, torch.rand(3).cuda(), 0.5)" 2>/dev/null; then
    say "mmcv $MMCV_VERSION with CUDA ops already built in $MMCV_BUILD"
  else
    local arch jobs
    arch=$($PYTHON -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability(0))')
    jobs=$(nproc)
    say "building mmcv $MMCV_VERSION CUDA ops for sm_${arch/./} with MAX_JOBS=$jobs (log: $RESULTS_DIR/build_log.txt)"
    rm -rf "$MMCV_BUILD" && mkdir -p "$MMCV_BUILD"
    tar -xzf "$WHEELS"/src/mmcv-$MMCV_VERSION.tar.gz -C "$MMCV_BUILD"
    # mmcv 2.0.1 forces -std=c++14; torch >= 2.1 (and CUDA 13) headers need C++17
    sed -i 's/-std=c++14/-std=c++17/g' "$MMCV_BUILD/mmcv-$MMCV_VERSION/setup.py"
    ( cd "$MMCV_BUILD/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 FORCE_CUDA=1 \
        TORCH_CUDA_ARCH_LIST="$arch" MAX_JOBS=$jobs $PYTHON setup.py build_ext --inplace ) \
        > "$RESULTS_DIR/build_log.txt" 2>&1
    local rc=$?
    record "## mmcv build"
    record ""
    if [ $rc != 0 ]; then
      record "mmcv $MMCV_VERSION CUDA build FAILED (exit $rc); first errors:"
      record '```'
      grep -m 20 -E 'error|Error' "$RESULTS_DIR/build_log.txt" >> "$RESULTS"
      record '```'
      echo "!! mmcv build failed; see $RESULTS_DIR/build_log.txt" >&2
      return 1
    fi
    record "mmcv $MMCV_VERSION built with CUDA ops for sm_${arch/./} in $(( $(date +%s) - START )) s (MAX_JOBS=$jobs)."
  fi
  $PYTHON - <<'EOF' || return 1
import sys, torch, mmcv
from mmcv.ops import box_iou_rotated, nms_rotated, diff_iou_rotated_2d, DeformConv2dPack
import mmext, mmdet, mmrotate, mmseg, mmpretrain, mmengine
b = torch.tensor([[10., 10., 8., 4., 0.3]]).cuda()
print('box_iou_rotated on CUDA:', float(box_iou_rotated(b, b)))
print(f'python {sys.version.split()[0]} | torch {torch.__version__} (CUDA {torch.version.cuda}) | '
      f'{torch.cuda.get_device_name(0)} | mmcv {mmcv.__version__} | mmengine {mmengine.__version__} | '
      f'mmdet {mmdet.__version__} | mmrotate {mmrotate.__version__} | mmseg {mmseg.__version__} | '
      f'mmpretrain {mmpretrain.__version__}')
EOF
}

stage_test() {
  use_site
  say "CUDA tests (tests/gpu; log: $RESULTS_DIR/tests_log.txt)"
  $PYTHON -m pytest tests/gpu -q -rfEs -p no:cacheprovider 2>&1 | tee "$RESULTS_DIR/tests_log.txt"
  local rc=${PIPESTATUS[0]}
  record ""
  record "## CUDA tests (exit $rc)"
  record '```'
  tail -n 25 "$RESULTS_DIR/tests_log.txt" >> "$RESULTS"
  record '```'
  return $rc
}

# The benchmark commands; $1 = device, $2 = full|tiny (tiny: the dry run's sizes)
bench_commands() {
  local dev=$1 size=$2 fail=0
  local RR=configs/dcfl/rotated-retinanet-rbox-le135_r50_fpn_1x_dotav2.py
  local DCFL=configs/dcfl/dcfl-le135_r50_fpn_1x_dotav2.py
  local FCOS=configs/mmmc/mmmc-fcos-giou_r50-caffe_fpn_gn-head_1x_coco.py
  local MMMC=configs/mmmc/mmmc_r50-caffe_fpn_gn-head_1x_coco.py
  local rot=(--img-size 1024 1024 --num-gts 200 --batch 2 --steps 10 --warmup 3)
  local det=(--img-size 800 1216 --num-gts 20 --batch 2 --steps 10 --warmup 3)
  local aps=(--num-gts 50 --repeat 5 --detector)
  local dcfl=(--num-gts 100 500 2000 --ref-max-gts 500)
  local cog=(--size 256 --batch 2 --iters 20)
  if [ "$size" = tiny ]; then
    rot=(--img-size 96 160 --num-gts 30 --batch 1 --steps 1 --warmup 0)
    det=(--img-size 96 160 --num-gts 5 --batch 1 --steps 1 --warmup 0)
    aps=(--num-gts 3 --repeat 1 --img-size 64 96 --num-classes 4 --head-img-size 64 64
         --head-repeat 1)
    dcfl=(--num-gts 10 --img-size 256 --skip-step)
    cog=(--size 32 --batch 1 --iters 1 --warmup 0 --width 8)
  fi
  local out=$RESULTS_DIR
  run_bench() {
    local name=$1; shift
    say "benchmark: $name"
    "$@" >> "$out/bench_log.txt" 2>&1 || { echo "!! $name failed (see bench_log.txt)"; fail=1; }
  }
  : > "$out/bench_log.txt"
  run_bench "DCFL vs Rotated RetinaNet training step" $PYTHON tools/analysis_tools/benchmark_train_step.py \
    "$RR" "$DCFL" "${rot[@]}" --device "$dev" --out "$out/bench_step_rotated.json"
  run_bench "MMMC vs FCOS training step" $PYTHON tools/analysis_tools/benchmark_train_step.py \
    "$FCOS" "$MMMC" "${det[@]}" --device "$dev" --out "$out/bench_step_mmdet.json"
  run_bench "APS assigner, RFA/FCOS head and detector latency" $PYTHON \
    tools/analysis_tools/benchmark_aps_assigner.py "${aps[@]}" --device "$dev"
  run_bench "DCFL assigner vs its literal reference" $PYTHON \
    tools/analysis_tools/benchmark_dcfl_assigner.py "${dcfl[@]}" --device "$dev"
  run_bench "CogSeg vs U-Net latency" $PYTHON tools/analysis_tools/benchmark_cogseg.py \
    "${cog[@]}" --device "$dev"
  return $fail
}

stage_bench() {
  use_site
  bench_commands cuda full
  local rc=$?
  record ""
  record "## Benchmarks (exit $rc)"
  record '```'
  grep -E '^\||ratio|speed|x |latency|share|FPS|ms' "$RESULTS_DIR/bench_log.txt" | head -n 80 >> "$RESULTS"
  record '```'
  return $rc
}

case "$STAGE" in
  prepare) stage_prepare ;;
  dry-run) stage_dry_run ;;
  build) stage_build ;;
  test) stage_test ;;
  bench) stage_bench ;;
  all)
    : > "$RESULTS"
    record "# GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
    record ""
    stage_build || { cat "$RESULTS"; exit 1; }
    stage_test; t=$?
    stage_bench; b=$?
    say "done: tests exit $t, benchmarks exit $b; results in $RESULTS"
    cat "$RESULTS"
    exit $(( t || b ))
    ;;
  *) echo "usage: $0 prepare|dry-run|all|build|test|bench" >&2; exit 2 ;;
esac

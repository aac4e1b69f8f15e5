#!/usr/bin/env bash
# Create .venv with the pinned OpenMMLab stack and mmext in editable mode.
#
#   make install                  # or: bash tools/misc/install.sh
#
# Environment:
#   PYTHON            interpreter for the venv (default: python3.11, else python3)
#   VENV              venv folder (default: .venv)
#   MMEXT_CACHE_DIR   where the built mmcv wheel is kept between installs (default: ~/.cache/mmext)
#   FORCE_CUDA=1      build mmcv's CUDA ops too (needs nvcc matching torch's CUDA); on a machine with
#                     a GPU mmcv builds them anyway. The wheel cache is keyed on this.
#
# Each step says what it does; a failing step stops with the step's name and what to try.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
CACHE=${MMEXT_CACHE_DIR:-$HOME/.cache/mmext}
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
MMCV_VERSION=2.0.1
START=$(date +%s)

step_name=""
step() { step_name="$1"; echo; echo "==> [$(( $(date +%s) - START ))s] $1"; }
fail() {
  echo >&2
  echo "!! make install failed at step: ${step_name}" >&2
  echo "!! $1" >&2
  exit 1
}
trap 'fail "the command above exited with an error; fix what it printed and run make install again (finished steps are skipped)."' ERR

step "check the interpreter ($PYTHON)"
"$PYTHON" -c 'import sys; assert sys.version_info[:2] >= (3, 8), sys.version' \
  || fail "need Python >= 3.8 (tested: 3.11). Set PYTHON=/path/to/python3.11."

step "create the virtual environment $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || fail "python -m venv failed; on Debian/Ubuntu install python3-venv."
else
  echo "    exists, kept"
fi
PY="$ROOT/$VENV/bin/python"
PIP=("$PY" -m pip)

step "build tools (requirements/build.txt)"
"${PIP[@]}" install -q -r requirements/build.txt

step "torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION (first time: ~1-2 min, ~5 GB with CUDA libraries)"
have_torch=$("$PY" - <<EOF 2>/dev/null || true
import torch, torchvision
ok = torch.__version__.split('+')[0] == '$TORCH_VERSION' and not torch.__version__.endswith('+cpu')
print('yes' if ok else 'no')
EOF
)
if [ "$have_torch" = "yes" ]; then
  echo "    already installed, kept"
else
  # --isolated: ignore pip configuration that adds local find-links folders. A CPU-only
  # torch wheel found there has no torchvision that works with it (torchvision::nms missing).
  "${PIP[@]}" --isolated install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" \
    || fail "could not install torch/torchvision from the package index; check the network or pip's index settings."
fi
"$PY" -c 'import torch, torchvision; print("    torch", torch.__version__, "| torchvision", torchvision.__version__, "| cuda available:", torch.cuda.is_available())' \
  || fail "import torchvision failed: torch and torchvision do not match (a '+cpu' torch has no torchvision). Remove $VENV and run make install again."
# keep exactly this torch/torchvision in every later step (distribution versions, as pip sees them)
CONSTRAINTS=$(mktemp)
"$PY" -c 'from importlib.metadata import version; [print(f"{p}=={version(p)}") for p in ("torch", "torchvision")]' > "$CONSTRAINTS"

CUDA_TAG=cpu
if [ "${FORCE_CUDA:-0}" = "1" ] || "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  CUDA_TAG=cuda
fi
WHEEL_DIR="$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$CUDA_TAG"

step "mmcv $MMCV_VERSION with ops ($CUDA_TAG)"
if "$PY" -c "import mmcv, mmcv.ops; from mmcv.ops import box_iou_rotated; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  echo "    already installed with ops, kept"
else
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    echo "    no cached wheel in $WHEEL_DIR: building from source."
    echo "    This takes about 13 minutes on 2 cores (CPU ops; longer with CUDA ops) and happens once per machine."
    BUILD=$(mktemp -d)
    "${PIP[@]}" download -q --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$BUILD" \
      || fail "could not download the mmcv $MMCV_VERSION source distribution."
    tar -xzf "$BUILD"/mmcv-$MMCV_VERSION.tar.gz -C "$BUILD"
    # mmcv 2.0.1's setup.py forces -std=c++14; torch >= 2.1 headers need C++17.
    sed -i 's/-std=c++14/-std=c++17/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    grep -q -- '-std=c++17' "$BUILD/mmcv-$MMCV_VERSION/setup.py" \
      || fail "the C++ standard patch did not apply to mmcv's setup.py."
    mkdir -p "$WHEEL_DIR"
    ( cd "$BUILD/mmcv-$MMCV_VERSION" && \
      MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" wheel -v --no-deps --no-build-isolation . -w "$WHEEL_DIR.tmp" \
        > "$BUILD/build.log" 2>&1 ) &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
      sleep 60
      kill -0 $pid 2>/dev/null && echo "    ... still compiling ($(( $(date +%s) - START ))s so far; ninja step $(grep -o '\[[0-9]*/[0-9]*\]' "$BUILD/build.log" | tail -n 1))"
    done
    wait $pid || { tail -n 30 "$BUILD/build.log" >&2; fail "the mmcv build failed; the full log is $BUILD/build.log. A C++ compiler (g++) and Python headers are needed."; }
    mv "$WHEEL_DIR.tmp"/mmcv-*.whl "$WHEEL_DIR"/ && rmdir "$WHEEL_DIR.tmp"
    rm -rf "$BUILD"
  else
    echo "    using cached wheel $(ls "$WHEEL_DIR"/mmcv-*.whl)"
  fi
  "${PIP[@]}" install -q -c "$CONSTRAINTS" "$WHEEL_DIR"/mmcv-*.whl
fi

step "OpenMMLab packages and runtime requirements"
"${PIP[@]}" install -q -c "$CONSTRAINTS" -r requirements/mminstall.txt -r requirements/runtime.txt -r requirements/tests.txt \
  || fail "pip could not install the pinned packages (requirements/mminstall.txt)."

step "mmext (editable)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps --no-build-isolation -e . || fail "pip install -e . failed."

step "check the environment"
"$PY" - <<'EOF' || fail "the installed stack does not import; see the traceback above."
import torch, torchvision
assert not torch.__version__.endswith('+cpu'), torch.__version__
import mmengine, mmcv, mmdet, mmseg, mmpretrain
from mmcv.ops import box_iou_rotated, nms_rotated, DeformConv2dPack, ModulatedDeformConv2dPack
import mmext  # applies the compatibility fixes and registers every mmext module
import mmrotate
for name, mod in [('torch', torch), ('torchvision', torchvision), ('mmengine', mmengine), ('mmcv', mmcv),
                  ('mmdet', mmdet), ('mmrotate', mmrotate), ('mmseg', mmseg), ('mmpretrain', mmpretrain),
                  ('mmext', mmext)]:
    print(f'    {name:12s} {mod.__version__}')
EOF
rm -f "$CONSTRAINTS"
touch "$VENV/.mmext-installed"
echo
echo "==> done in $(( $(date +%s) - START ))s. Activate with: source $VENV/bin/activate"

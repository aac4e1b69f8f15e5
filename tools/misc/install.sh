#!/usr/bin/env bash
# Create .venv with an OpenMMLab stack and mmext in editable mode.
#
#   make install                                  # the pinned 2023 stack (default)
#   make install STACK=onedl VENV=.venv-onedl     # the maintained OneDL fork
#   STACK=onedl bash tools/misc/install.sh        # the same without make
#
# Environment:
#   STACK             pinned (default): mmengine 0.10.7, mmcv 2.0.1, mmdet 3.1.0, mmrotate 1.0.0rc1,
#                     mmsegmentation 1.2.2, mmpretrain 1.2.0 (requirements/mminstall.txt)
#                     onedl: onedl-mmengine 0.10.12, onedl-mmcv 2.3.6, onedl-mmdetection 3.5.1,
#                     onedl-mmrotate 1.2.1, onedl-mmsegmentation 1.4.2, onedl-mmpretrain 1.3.6
#                     (requirements/onedl.txt). Both install the same import names (mmcv, mmdet, ...):
#                     installing one stack into a venv that holds the other removes the other first.
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
STACK=${STACK:-pinned}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
CACHE=${MMEXT_CACHE_DIR:-$HOME/.cache/mmext}
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0
START=$(date +%s)

# Distribution names of each stack, in the same order (engine, cv, det, rotate, seg, pretrain).
PINNED_DISTS=(mmengine mmcv mmdet mmrotate mmsegmentation mmpretrain)
ONEDL_DISTS=(onedl-mmengine onedl-mmcv onedl-mmdetection onedl-mmrotate onedl-mmsegmentation onedl-mmpretrain)
case "$STACK" in
  pinned)
    MMCV_DIST=mmcv; MMCV_VERSION=2.0.1; MMCV_SDIST_DIR=mmcv-2.0.1
    REQUIREMENTS=requirements/mminstall.txt; BUILD_REQUIREMENTS=requirements/build.txt
    OTHER_DISTS=("${ONEDL_DISTS[@]}") ;;
  onedl)
    MMCV_DIST=onedl-mmcv; MMCV_VERSION=2.3.6; MMCV_SDIST_DIR=onedl_mmcv-2.3.6
    REQUIREMENTS=requirements/onedl.txt; BUILD_REQUIREMENTS=requirements/build_onedl.txt
    OTHER_DISTS=("${PINNED_DISTS[@]}") ;;
  *) echo "!! STACK must be 'pinned' or 'onedl', not '$STACK'" >&2; exit 1 ;;
esac

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

step "create the virtual environment $VENV (stack: $STACK)"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || fail "python -m venv failed; on Debian/Ubuntu install python3-venv."
else
  echo "    exists, kept"
fi
PY="$ROOT/$VENV/bin/python"
PIP=("$PY" -m pip)
rm -f "$VENV/.mmext-installed"  # written again only when every step below succeeded

step "remove the other stack's distributions, if any (they install the same import names)"
present=$("$PY" - "${OTHER_DISTS[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
for name in sys.argv[1:]:
    try:
        version(name)
        print(name)
    except PackageNotFoundError:
        pass
EOF
)
if [ -n "$present" ]; then
  echo "    uninstalling: $(echo $present)"
  # shellcheck disable=SC2086
  "${PIP[@]}" uninstall -q -y $present
else
  echo "    none present"
fi

step "build tools ($BUILD_REQUIREMENTS)"
"${PIP[@]}" install -q -r "$BUILD_REQUIREMENTS"

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
# one cache folder per stack: mmcv-2.0.1-torch2.13.0-cpu, onedl-mmcv-2.3.6-torch2.13.0-cpu
WHEEL_DIR="$CACHE/$MMCV_DIST-$MMCV_VERSION-torch$TORCH_VERSION-$CUDA_TAG"
WHEEL_GLOB="${MMCV_DIST//-/_}-*.whl"

step "$MMCV_DIST $MMCV_VERSION with ops ($CUDA_TAG)"
if "$PY" -c "
from importlib.metadata import version
assert version('$MMCV_DIST') == '$MMCV_VERSION'
import mmcv.ops
from mmcv.ops import box_iou_rotated, nms_rotated, DeformConv2dPack" 2>/dev/null; then
  echo "    already installed with ops, kept"
else
  # shellcheck disable=SC2086
  if ! ls "$WHEEL_DIR"/$WHEEL_GLOB >/dev/null 2>&1; then
    echo "    no cached wheel in $WHEEL_DIR: building from source."
    echo "    This takes about 13 minutes on 2 cores (CPU ops; longer with CUDA ops) and happens once per machine."
    BUILD=$(mktemp -d)
    "${PIP[@]}" download -q --no-deps --no-binary :all: "$MMCV_DIST==$MMCV_VERSION" -d "$BUILD" \
      || fail "could not download the $MMCV_DIST $MMCV_VERSION source distribution."
    tar -xzf "$BUILD/$MMCV_SDIST_DIR.tar.gz" -C "$BUILD"
    if [ "$STACK" = pinned ]; then
      # mmcv 2.0.1's setup.py forces -std=c++14; torch >= 2.1 headers need C++17.
      # (onedl-mmcv's setup.py already uses C++17 for the CPU ops.)
      sed -i 's/-std=c++14/-std=c++17/g' "$BUILD/$MMCV_SDIST_DIR/setup.py"
      grep -q -- '-std=c++17' "$BUILD/$MMCV_SDIST_DIR/setup.py" \
        || fail "the C++ standard patch did not apply to mmcv's setup.py."
    fi
    mkdir -p "$WHEEL_DIR"
    # --no-build-isolation: torch must be importable by setup.py, or the wheel is built
    # silently WITHOUT ops (onedl-mmcv does exactly that in an isolated build).
    ( cd "$BUILD/$MMCV_SDIST_DIR" && \
      MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" wheel -v --no-deps --no-build-isolation . -w "$WHEEL_DIR.tmp" \
        > "$BUILD/build.log" 2>&1 ) &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
      sleep 60
      kill -0 $pid 2>/dev/null && echo "    ... still compiling ($(( $(date +%s) - START ))s so far; ninja step $(grep -o '\[[0-9]*/[0-9]*\]' "$BUILD/build.log" | tail -n 1))"
    done
    wait $pid || { tail -n 30 "$BUILD/build.log" >&2; fail "the mmcv build failed; the full log is $BUILD/build.log. A C++ compiler (g++) and Python headers are needed."; }
    # shellcheck disable=SC2086
    mv "$WHEEL_DIR.tmp"/$WHEEL_GLOB "$WHEEL_DIR"/ && rmdir "$WHEEL_DIR.tmp"
    rm -rf "$BUILD"
  else
    # shellcheck disable=SC2086
    echo "    using cached wheel $(ls "$WHEEL_DIR"/$WHEEL_GLOB)"
  fi
  # -c $REQUIREMENTS: mmcv's own dependencies (onedl-mmengine, ...) at this stack's pins
  # shellcheck disable=SC2086
  "${PIP[@]}" install -q -c "$CONSTRAINTS" -c "$REQUIREMENTS" "$WHEEL_DIR"/$WHEEL_GLOB
  "$PY" -c "import mmcv.ops; from mmcv.ops import box_iou_rotated, nms_rotated, DeformConv2dPack" \
    || fail "$MMCV_DIST installed but mmcv.ops does not import: the wheel was built without ops. Remove $WHEEL_DIR and run make install again."
fi

step "OpenMMLab packages ($REQUIREMENTS) and runtime requirements"
"${PIP[@]}" install -q -c "$CONSTRAINTS" -r "$REQUIREMENTS" -r requirements/runtime.txt -r requirements/tests.txt \
  || fail "pip could not install the pinned packages ($REQUIREMENTS)."

step "mmext (editable)"
"${PIP[@]}" install -q -c "$CONSTRAINTS" --no-deps --no-build-isolation -e . || fail "pip install -e . failed."

step "check the environment"
"$PY" - "$STACK" <<'EOF' || fail "the installed stack does not import; see the traceback above."
import sys
import torch, torchvision
assert not torch.__version__.endswith('+cpu'), torch.__version__
import mmengine, mmcv, mmdet, mmseg, mmpretrain
from mmcv.ops import box_iou_rotated, nms_rotated, DeformConv2dPack, ModulatedDeformConv2dPack
import mmext  # applies the compatibility fixes and registers every mmext module
import mmrotate
from mmext.utils.compat import installed_stack
assert installed_stack() == sys.argv[1], f'installed stack is {installed_stack()!r}, wanted {sys.argv[1]!r}'
for name, mod in [('torch', torch), ('torchvision', torchvision), ('mmengine', mmengine), ('mmcv', mmcv),
                  ('mmdet', mmdet), ('mmrotate', mmrotate), ('mmseg', mmseg), ('mmpretrain', mmpretrain),
                  ('mmext', mmext)]:
    print(f'    {name:12s} {mod.__version__}')
print('    stack:', installed_stack())
EOF
rm -f "$CONSTRAINTS"
echo "$STACK" > "$VENV/.mmext-installed"
echo
echo "==> done in $(( $(date +%s) - START ))s (stack: $STACK). Activate with: source $VENV/bin/activate"

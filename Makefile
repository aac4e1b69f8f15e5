# mmext: `make demo` and `make test` set themselves up (they run `make install` when $(VENV) is
# missing) and use whichever stack $(VENV) holds.
#   STACK=pinned (default): the 2023 OpenMMLab releases (requirements/mminstall.txt)
#   STACK=onedl:            the maintained OneDL fork (requirements/onedl.txt)
#   make install STACK=onedl VENV=.venv-onedl && make test VENV=.venv-onedl
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmext-installed
# the stack $(VENV) holds (the stamp names it; an empty stamp predates STACK: pinned)
INSTALLED := $(shell test -f $(STAMP) && { s=$$(cat $(STAMP)); echo $${s:-pinned}; })
STACK ?= $(or $(INSTALLED),pinned)
# pytest workers: 2 on the 2-core reference machine; override with `make test JOBS=8`
JOBS ?= 2
# what `make test` runs; `make test TESTS=tests/models` for a part
TESTS ?= tests
# what CI runs on the OneDL stack (make test-onedl-subset): every config loading and the short
# trainings through mmengine's Runner of each toolbox (tests/configs: mmdet MMMC and refined GFL,
# mmrotate DCFL, mmseg and mmpretrain FANet), the model and structure tests, the checkpoint-security,
# resume and DDP tests (tests/foundation)
ONEDL_SUBSET := tests/configs tests/models tests/structures tests/foundation

REQS_pinned := requirements/build.txt requirements/mminstall.txt
REQS_onedl := requirements/build_onedl.txt requirements/onedl.txt

.PHONY: install demo test test-onedl-subset stack lint clean-demo help FORCE

help:
	@echo "make demo     generate synthetic data, train+test every method (about 15 min on 2 cores)"
	@echo "make test     run the test suite (TESTS=... for a part) on the stack $(VENV) holds"
	@echo "make install  create $(VENV) with the pinned OpenMMLab stack (first time: ~15 min, builds mmcv)"
	@echo "make install STACK=onedl VENV=.venv-onedl   the same with the OneDL stack"
	@echo "make test-onedl-subset VENV=.venv-onedl     what CI runs on the OneDL stack"

# reinstall when the requirements change, or when STACK names another stack than the one installed
ifneq ($(INSTALLED),$(STACK))
$(STAMP): FORCE
endif
$(STAMP): $(REQS_$(STACK)) requirements/runtime.txt requirements/tests.txt setup.py tools/misc/install.sh
	STACK=$(STACK) VENV=$(VENV) bash tools/misc/install.sh

install:
	STACK=$(STACK) VENV=$(VENV) bash tools/misc/install.sh

stack: $(STAMP)
	@$(PY) tools/misc/print_stack.py

demo: $(STAMP)
	@$(PY) tools/misc/print_stack.py
	$(PY) tools/demo.py

test: $(STAMP)
	@$(PY) tools/misc/print_stack.py
	$(PY) -m pytest $(TESTS) -n $(JOBS) --dist loadfile -q

test-onedl-subset: $(STAMP)
	@$(PY) tools/misc/print_stack.py
	$(PY) -m pytest $(ONEDL_SUBSET) -n $(JOBS) --dist loadfile -q

clean-demo:
	rm -rf work_dirs/demo data/synthetic

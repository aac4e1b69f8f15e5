# mmext: `make demo` and `make test` set themselves up (they run `make install` when .venv is missing).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmext-installed
# pytest workers: 2 on the 2-core reference machine; override with `make test JOBS=8`
JOBS ?= 2

.PHONY: install demo test lint clean-demo help

help:
	@echo "make demo     generate synthetic data, train+test every method (about 10 min on 2 cores)"
	@echo "make test     run the test suite"
	@echo "make install  create $(VENV) with the pinned OpenMMLab stack (first time: ~15 min, builds mmcv)"

$(STAMP): requirements/*.txt setup.py tools/misc/install.sh
	bash tools/misc/install.sh

install:
	bash tools/misc/install.sh

demo: $(STAMP)
	$(PY) tools/demo.py

test: $(STAMP)
	$(PY) -m pytest tests -n $(JOBS) --dist loadfile -q

clean-demo:
	rm -rf work_dirs/demo data/synthetic

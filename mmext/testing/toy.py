"""A toy regression model, dataset and metric for testing the training machinery.

Registered in mmengine's root registries (visible from every toolbox scope) only when this module
is imported, e.g. by ``custom_imports=dict(imports=['mmext.testing.toy'])`` in
``configs/baselines/toy/toy-linear_synthetic.py``. The model has no batch statistics, so training
with 2 processes of batch b follows exactly the same path as 1 process with batch 2b.
"""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, METRICS, MODELS
from torch import nn
from torch.utils.data import Dataset


@MODELS.register_module()
class ToyLinearRegressor(BaseModel):
    """``y = w·x + b`` trained with the mean squared error. ``inputs``: (B, C), ``targets``: (B,)."""

    def __init__(self, in_features: int = 4, data_preprocessor: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear = nn.Linear(in_features, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        pred = self.linear(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=F.mse_loss(pred, targets))
        if mode == 'predict':
            return [dict(pred=p, target=t) for p, t in zip(pred, targets)]
        return pred


@DATASETS.register_module()
class ToyRegressionDataset(Dataset):
    """``size`` samples ``x ~ N(0, 1)^C`` with ``y = x·w* + 0.5 + noise``, fixed by ``seed``."""

    def __init__(self, size: int = 32, in_features: int = 4, seed: int = 0, pipeline=None,
                 test_mode: bool = False):
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(size, in_features)).astype(np.float32)
        w = np.arange(1, in_features + 1, dtype=np.float32) / in_features
        self.y = (self.x @ w + 0.5 + 0.01 * rng.normal(size=size)).astype(np.float32)
        self.metainfo = dict(task='toy regression')

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return dict(inputs=torch.from_numpy(self.x[idx]), targets=torch.tensor(self.y[idx]))


@METRICS.register_module()
class ToyMSEMetric(BaseMetric):
    """Mean squared error of the predictions, reported as ``toy/mse``."""
    default_prefix = 'toy'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(float((sample['pred'] - sample['target'])**2))

    def compute_metrics(self, results: list) -> dict:
        return dict(mse=float(np.mean(results)))

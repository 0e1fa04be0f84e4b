"""Model: a small convolutional network (torch) on the pixel grid, trained epoch by epoch.

Rows are flattened square images (a row that is not square is padded to the next square).
The convolutional trunk exists from the start, so a zero-cost proxy can rank it before any
training; the output layer is added at the first fit, once the classes are known.
"""
import math

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # trials run side by side: one thread each

SEARCH_SPACE = {
    "channels": {"type": "categorical", "choices": [16, 8, 32]},
    "learning_rate": {"type": "float", "low": 0.0003, "high": 0.01, "log": True,
                      "default": 0.002},
    "weight_decay": {"type": "float", "low": 1e-6, "high": 0.01, "log": True, "default": 1e-4},
    "dropout": {"type": "float", "low": 0.0, "high": 0.5, "default": 0.2},
    "epochs": {"type": "int", "low": 4, "high": 30, "default": 10},
    "batch_size": {"type": "categorical", "choices": [64, 32, 128]},
    "random_state": 0,
}


class Trunk(nn.Module):
    """Two convolution blocks, then a 128-wide embedding."""

    def __init__(self, channels, dropout):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.BatchNorm2d(2 * channels),
            nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(32 * channels, 128), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x):
        side = math.isqrt(x.shape[1] - 1) + 1 if x.shape[1] > 1 else 1
        x = nn.functional.pad(x, (0, side * side - x.shape[1]))
        return self.layers(x.view(-1, 1, side, side))


class SmallCNN:
    def __init__(self, channels=16, learning_rate=0.002, weight_decay=1e-4, dropout=0.2,
                 epochs=10, batch_size=64, random_state=0):
        torch.manual_seed(random_state)
        self.trunk = Trunk(channels, dropout)
        self.head = None
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.epochs, self.batch_size = epochs, batch_size
        self.rng = np.random.default_rng(random_state)

    def _start(self, y):
        self.classes_ = np.unique(np.asarray(y))
        self.head = nn.Linear(128, len(self.classes_))
        parameters = list(self.trunk.parameters()) + list(self.head.parameters())
        self.optimizer = torch.optim.AdamW(parameters, lr=self.learning_rate,
                                           weight_decay=self.weight_decay)

    def fit_epoch(self, X, y):
        """One pass over the rows in a new random order."""
        if self.head is None:
            self._start(y)
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        target = torch.as_tensor(np.searchsorted(self.classes_, np.asarray(y)))
        self.trunk.train()
        for rows in np.array_split(self.rng.permutation(len(X)),
                                   max(1, len(X) // self.batch_size)):
            self.optimizer.zero_grad()
            logits = self.head(self.trunk(X[rows]))
            nn.functional.cross_entropy(logits, target[rows]).backward()
            self.optimizer.step()
        return self

    def fit(self, X, y):
        for _ in range(self.epochs):
            self.fit_epoch(X, y)
        return self

    def predict(self, X):
        self.trunk.eval()
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        with torch.no_grad():
            found = [self.head(self.trunk(part)).argmax(1) for part in torch.split(X, 512)]
        return self.classes_[torch.cat(found).numpy()]

    def score(self, X, y):
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def get_state(self):
        return [{k: v.clone() for k, v in m.state_dict().items()} for m in (self.trunk,
                                                                              self.head)]

    def set_state(self, state):
        for module, saved in zip((self.trunk, self.head), state, strict=True):
            module.load_state_dict(saved)


def build_model(params: dict):
    return SmallCNN(params["channels"], params["learning_rate"], params["weight_decay"],
                    params["dropout"], params["epochs"], params["batch_size"],
                    params["random_state"])

"""Training: fit once on the training rows.

No intermediate score is reported: a single step gives the pruner nothing to compare, and
`model.score` (R² for a regressor) need not point the way the task's metric does.
"""
SEARCH_SPACE = {}


def train(model, X_train, y_train, X_valid, y_valid, params: dict, report=None):
    model.fit(X_train, y_train)
    return model

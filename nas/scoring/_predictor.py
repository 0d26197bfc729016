"""A learned accuracy predictor: a small regression over architecture features and cheap scores,
judged out of sample.

Hybrid predictors of this kind (architecture encoding plus zero-cost scores) beat single
zero-cost proxies on MobileNet-like spaces in the literature; whether one does on a space and
data set is measured by ``nas rank-check`` (signal ``learned predictor (leave-one-out)``).
"""

from __future__ import annotations

import math

import numpy

from nas.arch import Arch, iter_blocks
from nas.cost import count

BLOCK_TYPE_CODES = {"ds": 0.0, "ir": 0.0, "er": 1.0, "cn": 2.0, "pj": 3.0}
"""``ds`` is an MBConv without expansion: the expand ratio already says so."""


def architecture_features(arch: Arch) -> list[float]:
    """Per stage: block type code, kernel size, expand ratio, SE ratio, repeats, output
    channels; then log10 of the FLOPs and of the parameters (fvcore FLOPs at the
    architecture's resolution). Same length for every architecture of one space."""
    features: list[float] = []
    for stage in arch.stages:
        features += [BLOCK_TYPE_CODES[stage.block_type], stage.kernel_size, stage.expand_ratio,
                     stage.se_ratio, stage.repeats, stage.out_channels]
    cost = count(arch)
    return features + [math.log10(cost.flops), math.log10(cost.params)]


def keyed_features(arch: Arch) -> dict[str, float]:
    """Features of ``arch`` by position, for spaces whose networks differ in their number of
    stages (layer-wise spaces, where skipped layers vanish): per block, its block type code,
    kernel size, expand ratio, SE ratio and output channels, keyed by the feature-map level
    (stride-2 steps so far) and its position within that level; then log10 FLOPs and params.
    Rows of several architectures are aligned on the union of keys, an absent block's being
    0 (:func:`aligned_rows`)."""
    features: dict[str, float] = {}
    level, position = 0, 0
    for block in iter_blocks(arch):
        if block.stride == 2:
            level, position = level + 1, 0
        stage = block.stage
        for name, value in (("type", BLOCK_TYPE_CODES[stage.block_type]),
                            ("kernel", stage.kernel_size), ("expand", stage.expand_ratio),
                            ("se", stage.se_ratio), ("channels", stage.out_channels)):
            features[f"level{level}.block{position}.{name}"] = float(value)
        position += 1
    cost = count(arch)
    features["log10 flops"], features["log10 params"] = (math.log10(cost.flops),
                                                         math.log10(cost.params))
    return features


def aligned_rows(archs: list[Arch]) -> list[list[float]]:
    """One feature row per architecture, all of one length: :func:`architecture_features` where
    every architecture has as many stages, else :func:`keyed_features` on the union of keys."""
    if len({len(arch.stages) for arch in archs}) <= 1:
        return [architecture_features(arch) for arch in archs]
    keyed = [keyed_features(arch) for arch in archs]
    keys = sorted(set().union(*keyed))
    return [[features.get(key, 0.0) for key in keys] for features in keyed]


def _ridge():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         RidgeCV(alphas=numpy.logspace(-2, 3, 11)))


def _clean(rows: list[list[float]]) -> numpy.ndarray:
    features = numpy.asarray(rows, dtype=float)
    features[~numpy.isfinite(features)] = numpy.nan
    return features


def predict_from(train_rows: list[list[float]], targets: list[float],
                 rows: list[list[float]]) -> list[float]:
    """Predictions for ``rows`` of the ridge regression that :func:`predict_out_of_sample`
    fits, fitted once on ``train_rows`` and their ``targets`` (at least 3): a predictor trained
    on k measured architectures, applied to others. Rows of both must be aligned (one
    :func:`aligned_rows` call over all of them)."""
    features = _clean(list(train_rows) + list(rows))
    keep = ~numpy.isnan(features[:len(train_rows)]).all(axis=0)  # a column never measured
    features = features[:, keep]
    model = _ridge()
    model.fit(features[:len(train_rows)], numpy.asarray(targets, dtype=float))
    return [float(value) for value in model.predict(features[len(train_rows):])]


def predict_out_of_sample(rows: list[list[float]], targets: list[float]) -> list[float]:
    """Leave-one-out predictions of ``targets`` from ``rows`` (one feature row per
    architecture, at least 3): each architecture's value comes from a ridge regression
    (standardised features, non-finite values replaced by the column median of the training
    rows, the penalty chosen by efficient leave-one-out within them) fitted on the *other*
    architectures only."""
    features = _clean(rows)
    features = features[:, ~numpy.isnan(features).all(axis=0)]  # a column never measured
    values = numpy.asarray(targets, dtype=float)
    predictions = []
    for held_out in range(len(values)):
        keep = numpy.arange(len(values)) != held_out
        model = _ridge()
        model.fit(features[keep], values[keep])
        predictions.append(float(model.predict(features[held_out:held_out + 1])[0]))
    return predictions

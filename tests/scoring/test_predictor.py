"""The learned predictor: architecture features, and predictions made out of sample."""

import math

import numpy
from scipy.stats import kendalltau

from nas.cost import count
from nas.scoring import architecture_features, predict_out_of_sample
from nas.space import load_space


def test_features_describe_every_stage_and_the_cost():
    space = load_space("efficientnetv2")
    rng = numpy.random.default_rng(0)
    archs = [space.arch(space.random_params(rng)) for _ in range(5)]
    rows = [architecture_features(arch) for arch in archs]
    assert {len(row) for row in rows} == {6 * len(space.stages) + 2}
    arch, row = archs[0], rows[0]
    stage = arch.stages[2]
    assert row[12:18] == [1.0 if stage.block_type == "er" else 0.0, stage.kernel_size,
                          stage.expand_ratio, stage.se_ratio, stage.repeats, stage.out_channels]
    assert row[-2] == math.log10(count(arch).flops) and row[-1] == math.log10(count(arch).params)


def test_predictions_are_out_of_sample_and_recover_a_linear_relation():
    rng = numpy.random.default_rng(1)
    signal = rng.normal(size=20)
    targets = list(0.5 + 0.1 * signal)
    rows = [[value, rng.normal(), math.inf if index == 3 else rng.normal(), math.nan]
            for index, value in enumerate(signal)]  # an inf, and a column never measured
    predictions = predict_out_of_sample(rows, targets)
    assert len(predictions) == 20 and all(math.isfinite(p) for p in predictions)
    assert kendalltau(predictions, targets).statistic > 0.8
    # out of sample: a target changed alone does not change its own prediction
    changed = list(targets)
    changed[5] += 10.0
    assert predict_out_of_sample(rows, changed)[5] == predictions[5]


def test_a_predictor_fitted_on_k_architectures_predicts_others():
    from nas.scoring import predict_from

    rng = numpy.random.default_rng(0)
    rows = rng.normal(size=(30, 4))
    targets = rows @ numpy.array([0.5, -1.0, 0.0, 2.0]) + 0.01 * rng.normal(size=30)
    predicted = predict_from(rows[:20].tolist(), targets[:20].tolist(), rows[20:].tolist())
    assert len(predicted) == 10
    assert numpy.corrcoef(predicted, targets[20:])[0, 1] > 0.99

"""Candidate scoring: the evaluation of one candidate architecture, which the search, compound
scaling and the rank check all stand on.

- the proxy protocol (:class:`ProxySettings`) and the zero-cost proxies there are (both free of
  torch, so the command line reads them at start-up);
- the proxy data, cached per process (:func:`get_data`);
- the proxy's geometry (:func:`proxy_arch`) and which kernel choices a proxy resolution cannot
  see (:func:`blind_choices`, :func:`faithful_resolution`);
- the trained proxy (:func:`train_candidate`) and the zero-cost scores at initialisation
  (:func:`zero_cost_scores`);
- the weight-sharing supernet (:class:`Supernet`, trained by :func:`train_supernet` into a file
  read by :func:`load_supernet`) and the score of a candidate with the weights it inherits
  from it (:func:`score_inherited`: extraction, batch-norm recalibration, validation);
- a learned predictor over architecture features and those scores
  (:func:`predict_out_of_sample`);
- a tabular benchmark as the evaluator (:func:`open_table`): the accuracy full training gave,
  looked up instead of trained (NAS-Bench-Macro, or a CSV of the user's own).

Which candidates to score, and what a study does with the scores, is :mod:`nas.search`'s and
:mod:`nas.scaling`'s.
"""

from nas._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "_data": ["DATA_CACHE_SIZE", "get_data"],
    "_fidelity": ["BlindChoice", "blind_choices", "faithful_resolution"],
    "_inherited": ["Evaluation", "InheritedScore", "evaluate", "evaluate_accuracy",
                   "inherited_subnet", "recalibrate_batch_norm", "score_inherited",
                   "write_subnet_checkpoint"],
    "_options": ["CALIBRATION_IMAGES", "PROXY_EPOCHS", "ProxySettings",
                 "SKIP_POSITIONS", "SUPERNET_SAMPLINGS", "ZERO_COST_PROXIES"],
    "_predictor": ["aligned_rows", "architecture_features", "keyed_features",
                   "predict_from", "predict_out_of_sample"],
    "_proxy": ["proxy_arch", "train_candidate"],
    "_supernet": ["Geometry", "StageLimits", "Supernet", "stage_limits", "weight_types"],
    "_supernet_training": ["SUPERNET_FILE", "SupernetFile", "SupernetOptions", "load_supernet",
                           "make_supernet", "train_supernet"],
    "_layer_supernet": ["LayerSupernet"],
    "_zero_cost": ["zero_cost_scores"],
    "_table": ["EVALUATORS_HELP", "TABLE_PREFIX", "Table", "TableAnswer", "network_key",
               "open_table", "table_path"],
})

"""Search spaces: YAML files in ``search_spaces/`` describing choices around a skeleton, per stage
(MnasNet's factorized form) or per layer (menus of whole blocks).

A space file::

    name: efficientnet_b0
    description: free text
    target: {resolution: 224, num_classes: 1000}     # where FLOPs are counted
    network: {stem_channels: 32, head_channels: 1280, dropout: 0.2, drop_path_rate: 0.2,
              activation: swish}        # and stem_stride: 1 or 2 (default 2)
    choices:                  # every stage's options (a stage entry may override any of them)
      block_type: [ir]        # ir = MBConv, er = fused-MBConv; cn = plain conv, only alone
      kernel_size: [3, 5]
      expand_ratio: [1, 3, 4, 6]
      se_ratio: [0, 0.25]
      repeats_delta: [-1, 0, 1]          # layers = base repeats + delta (at least 1)
      width_multiplier: [0.75, 1.0, 1.25]  # channels = base × multiplier, rounded to 8
    stages:
      - base: ds_r1_k3_s1_e1_c16_se0.25  # skeleton: stride, base channels, base layers;
      - base: ir_r2_k3_s2_e6_c24_se0.25  # the bases together form the baseline architecture
        kernel_size: [3]                 # optional per-stage override

Each choice with more than one option is one Optuna parameter named ``stage<N>.<field>``
(``stage3.kernel_size``). Ordered choices (kernel size, expand ratio, SE ratio, layers, channels)
are integer parameters over the index of the sorted values (0 = smallest), so samplers such as
TPE and GP can use their order; ``block_type`` is categorical. :meth:`Space.trial_params` turns
real values into this encoding (for enqueueing), and the architecture a trial evaluated is
stored with it in real values.
An MBConv stage with expand ratio 1 is written ``ds`` (the same network, timm's name for it).
A ``cn`` (plain convolution) stage has a ``cn`` base and ``block_type: [cn]``: it has no expansion
and no squeeze-excite, so its expand_ratio and se_ratio are fixed at 1 and 0 (the space-wide
choices do not apply; giving others for that stage is an error), and only its kernel size,
layers and channels are searched. ``cn`` is refused as one option among ``ir``/``er``: those
options would share expand and SE parameters that mean nothing for it.

A stage may instead be layer-wise (it gives ``layers``): each layer picks one whole block from a
menu of block strings without ``r``, ``s`` and ``c``, ``skip`` included; see
:mod:`nas.space._layers`. Such a layer is one categorical Optuna parameter
``stage<N>.layer<M>`` whose choices are the menu's entries (``skip``, ``ir_k3_e3``, ...). A
space whose stages are all layer-wise may leave out ``choices``.
"""

from nas.space._layers import SKIP, LayerStageSpace, skip_projection
from nas.space._space import (
    CHOICE_FIELDS,
    ORDINAL_FIELDS,
    PARAMETER_ENCODING,
    PARAMETER_FIELDS,
    SPACES_DIRECTORY,
    Space,
    StageSpace,
    load_space,
    parse_space,
    resolve_space_path,
    space_names,
)

__all__ = ["CHOICE_FIELDS", "ORDINAL_FIELDS", "PARAMETER_ENCODING", "PARAMETER_FIELDS",
           "SPACES_DIRECTORY", "SKIP", "LayerStageSpace", "Space", "StageSpace", "load_space",
           "parse_space", "resolve_space_path", "skip_projection", "space_names"]

import subprocess
import sys

import nas
from tests.conftest import REFERENCE, ROOT


def test_public_surface():
    arch = nas.preset("efficientnet-b0")
    assert nas.count(arch).flops == REFERENCE["models"]["efficientnet-b0"]["flops"]
    assert sum(p.numel() for p in nas.build_model(arch).parameters()) == 5_288_548
    assert nas.decode(nas.encode(arch.stages[1])) == arch.stages[1]
    assert nas.to_timm(arch)["stem_size"] == 32
    assert nas.load_space("efficientnet_b0").baseline() == arch
    assert {"run_search", "run_scale", "compound_family", "export"} <= set(nas.__all__)


def test_import_is_light():
    code = "import sys, nas; nas.count(nas.preset('efficientnet-b0')); " \
           "print(sorted(m for m in ('torch', 'optuna', 'sklearn') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr

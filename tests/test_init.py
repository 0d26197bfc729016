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
    code = "import sys, nas, nas.cli; nas.count(nas.preset('efficientnet-b0')); " \
           "nas.cli.build_parser(); " \
           "print(sorted(m for m in ('torch', 'optuna', 'sklearn', 'scipy') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_public_names_keep_their_meaning_after_every_submodule_is_imported():
    code = """
import importlib, pkgutil, types, nas
nas.to_timm
text = nas.export(nas.preset("efficientnet-b0"), "yaml")
for module in pkgutil.walk_packages(nas.__path__, "nas."):
    if module.name != "nas.__main__":
        importlib.import_module(module.name)
shadowed = [name for name in nas.__all__ if isinstance(getattr(nas, name), types.ModuleType)]
assert callable(nas.export) and nas.export(nas.preset("efficientnet-b0"), "yaml") == text
print(shadowed)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

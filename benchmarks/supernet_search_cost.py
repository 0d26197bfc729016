"""Issue 17's acceptance 1, measured: do 40 candidates scored with a supernet take less time
than 4 trained proxies? On digits and the tiny space, as the test suite runs it
(``tests/cli/test_supernet.py``): ``nas supernet --space tiny --data digits --epochs 3
--proxy-resolution 16 --lr 0.2``, then ``nas search --supernet FILE --trials 40``, then one
trained proxy of the same geometry (``--baseline --trials 1``), all in one process (the
commands are run through ``nas.cli.main``, as the suite does), 1 thread.

Times are the trials' own (Optuna's start to completion, summed over the 40 complete trials;
the proxy's one trial), in seconds; the ratio is unitless. Each repeat uses a fresh working
directory. torch's compiler (``torch._dynamo``, which the first optimiser imports, ~3 s) is
imported before the first repeat, as earlier tests have done in the suite's worker; the first
repeat still pays the other one-off costs of a fresh process, so it is reported but left out
of the median.

Usage: .venv/bin/python benchmarks/supernet_search_cost.py [--repeats 6]
Writes benchmarks/results/supernet_search_cost.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
from pathlib import Path

import torch._dynamo  # noqa: F401  (see the module docstring)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402

from nas.cli import main as nas_main  # noqa: E402
from nas.study import make_storage  # noqa: E402

SUPERNET = ["supernet", "--space", "tiny", "--data", "digits", "--epochs", "3",
            "--proxy-resolution", "16", "--lr", "0.2", "--threads", "1", "--study", "sn"]
SEARCH = ["search", "--space", "tiny", "--flops", "5M", "--slack", "4", "--data", "digits",
          "--threads", "1"]


def run(arguments: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = nas_main(arguments)
    if code != 0:
        sys.exit(f"nas {' '.join(arguments)} must exit 0, but exited {code}")


def trial_seconds(name: str) -> list[float]:
    import optuna

    study = optuna.load_study(study_name=name, storage=make_storage(
        str(Path("studies", name, "journal.log")), root=".", name=name))
    return [(t.datetime_complete - t.datetime_start).total_seconds()
            for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    start = os.getcwd()
    rows = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as directory:
            os.chdir(directory)
            try:
                run(SUPERNET)
                run([*SEARCH, "--supernet", "studies/sn/supernet.pt", "--trials", "40",
                     "--study", "scored"])
                scored = trial_seconds("scored")
                run([*SEARCH, "--proxy-resolution", "16", "--baseline", "--trials", "1",
                     "--study", "plain"])
                proxy = trial_seconds("plain")[0]
            finally:
                os.chdir(start)
        rows.append({"repeat": repeat, "complete candidates": len(scored),
                     "40 candidates s": round(sum(scored), 2), "one proxy s": round(proxy, 2),
                     "ratio (proxies)": round(sum(scored) / proxy, 2)})
        print(rows[-1], flush=True)
    warm = [row["ratio (proxies)"] for row in rows[1:]]
    summary = {"median ratio, repeats after the first": round(statistics.median(warm), 2) if warm
               else None,
               "repeats under 4, after the first": sum(ratio < 4 for ratio in warm),
               "repeats after the first": len(warm),
               "first repeat ratio": rows[0]["ratio (proxies)"]}
    report("supernet_search_cost", "40 supernet-scored candidates vs one trained proxy, tiny "
           "space, digits, 16 px, 1 thread (seconds of trial time; ratio unitless)", rows,
           extra={"summary": summary,
                  "command": "benchmarks/supernet_search_cost.py " + " ".join(sys.argv[1:])})
    print(summary)


if __name__ == "__main__":
    main()

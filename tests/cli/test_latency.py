import json

from nas.arch import save
from tests.cost.test_latency import SMALL


def test_latency_of_b0_reports_its_figures_and_context(cli):
    result = cli("latency", "efficientnet-b0", "--json", "--max-seconds", "3")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["median_ms"] > 0 and document["p90_ms"] > 0 and document["runs"] >= 1
    # it stops when the median is known to +-2 %, or when 3 s of timed runs are spent (a slow
    # machine may not reach the 20 runs the interval needs in 3 s)
    assert document["converged"] or document["runs"] * document["median_ms"] >= 0.5 * 3000
    assert (document["threads"], document["runtime"], document["device"], document["batch"],
            document["resolution"]) == (1, "torch", "cpu", 1, 224)
    assert {"nas", "torch", "python"} <= set(document["versions"])
    assert document["unit"].startswith("milliseconds") and not document["cached"]
    again = json.loads(cli("latency", "efficientnet-b0", "--json").stdout)
    assert again["cached"] and again["median_ms"] == document["median_ms"]


def test_latency_in_onnxruntime_and_as_a_table(cli, tmp_path):
    save(SMALL, tmp_path / "small.yaml")
    result = cli("latency", "small.yaml", "--runtime", "onnxruntime", "--threads", "2",
                 "--max-seconds", "1")
    assert result.returncode == 0, result.stderr
    assert "onnxruntime" in result.stdout and "median" in result.stdout
    assert "milliseconds per forward pass" in result.stdout
    assert "onnxruntime" in json.loads(cli("latency", "small.yaml", "--runtime", "onnxruntime",
                                           "--threads", "2", "--json").stdout)["versions"]


def test_validate_reports_the_share_within_ten_percent(cli):
    result = cli("latency", "--validate", "2", "--space", "tiny", "--max-seconds", "0.3", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["rows"]) == 2 and 0 <= document["within_10_percent"] <= 1
    assert document["rmse_percent"] >= 0 and document["threads"] == 1


def test_bad_latency_input_is_one_line(cli):
    for arguments in (("latency",), ("latency", "efficientnet-b0", "--validate", "3"),
                      ("latency", "--validate", "3", "--resolution", "64"),
                      ("latency", "nowhere.yaml"), ("latency", "efficientnet-b0", "--threads",
                                                     "0")):
        result = cli(*arguments)
        assert result.returncode == 2, arguments
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, arguments

"""OPS-03/OPS-04: the local cluster (scripts/cluster.sh) comes up, survives a web node, a task
node and Redis killed and PostgreSQL restarted under load, loses nothing and sends nothing twice
(bench/cluster_faults.py --short, which starts and stops the cluster itself).

It takes about four minutes, so it is marked `cluster` and left out of the suite's two runs
(pyproject's addopts deselect it); scripts/test.sh runs it once, as its last step:
  .venv/bin/python -m pytest -m cluster tests/test_ops_03_04_cluster.py
It needs root for network namespaces; without them it is skipped, except with CI=true, where
it runs with a loopback address per node instead.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.cluster


def namespaces_unavailable():
    """Why network namespaces cannot be used here, or '' when they can."""
    if os.geteuid() != 0:
        return "not root"
    probe = subprocess.run(["ip", "netns", "add", "alg-pytest-probe"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"ip netns add failed: {probe.stderr.strip() or probe.returncode}"
    subprocess.run(["ip", "netns", "del", "alg-pytest-probe"], check=False)
    return ""


def test_ops_03_04_cluster_loses_nothing_under_node_faults():
    reason = namespaces_unavailable()
    if reason and os.environ.get("CI") != "true":
        pytest.skip(f"OPS-03/04 cluster fault test needs network namespaces ({reason}); CI=true runs it anyway")
    env = {**os.environ}
    if reason:
        env["CLUSTER_MODE"] = "loopback"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cluster_faults.py"), "--short"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert "OK: every acknowledged write stored once" in result.stdout

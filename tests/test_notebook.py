"""The planner notebook runs top to bottom on the shipped data, and is committed without outputs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "coverage_report.ipynb"


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.get('id')} has outputs: strip them"
        assert cell.execution_count is None, f"cell {cell.get('id')} has an execution count"
    for cell in notebook.cells:
        assert "execution" not in cell.metadata


@pytest.mark.slow
def test_notebook_runs_in_this_interpreter(tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    # A kernelspec of our own that starts *this* interpreter, so the run does not depend
    # on whichever "python3" kernel happens to be installed globally.
    spec_dir = tmp_path / "kernels" / "locator-test"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    # Agg: figures are drawn (so plotting code runs) but not embedded in the outputs.
    spec = {
        "argv": argv,
        "display_name": "locator test",
        "language": "python",
        "env": {"MPLBACKEND": "Agg"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    manager = KernelManager(kernel_name="locator-test", kernel_spec_manager=specs)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        km=manager,
        kernel_name="locator-test",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not errors, f"the notebook wrote to stderr: {[e['text'][:300] for e in errors]}"
    text = json.dumps(outputs, ensure_ascii=False)
    assert "of 117 counties have at least 2 outlets" in text
    assert "counties with 2 outlets that reset a PIN" in text
    # A planner's report in Chinese, with a 65+ view that is not the all-residents one again.
    assert "个区县达标" in text and "可重置密码网点不足 2 个的区县" in text
    fewer = re.search(r"(\d+) 个区县的老人覆盖率低于全部人口", text)
    assert fewer is not None and int(fewer.group(1)) > 0

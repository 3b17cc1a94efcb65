"""The workbook in a real JupyterLab: server, contents API, kernel, cells run one by one.

A JupyterLab server (jupyter_server 2 / JupyterLab 4) is started on a throw-away copy of the
project, on a free local port with a random token. Through its REST API and the kernel
websocket (Jupyter messaging protocol v5, JSON over ``/api/kernels/<id>/channels``) the code
cells of ``notebooks/rencontre.ipynb`` are executed as JupyterLab would, with the example
parameters: every cell must answer ``ok`` and the figures must carry the interactive plotly
mimetype (outside papermill). The kernel and the server are shut down through the API.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from conftest import copy_project

pytestmark = pytest.mark.lab

PLOTLY_MIME = "application/vnd.plotly.v1+json"
# limits that hold on a saturated 2-core machine (a quiet one needs a tenth of them)
START_TIMEOUT = 180  # s, server up and answering /api/status
CELL_TIMEOUT = 240  # s, one cell of the notebook
ROOT = Path(__file__).resolve().parents[1]
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _jupyter() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server and a tiny client of its REST API."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "jupyterlab.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RENCONTRES_", "JUPYTER"))}
        # a user's session: no batch flag (set by `build` in this very process), no forced
        # root; Jupyter's and IPython's own folders kept out of the user's home
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(work / sub)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["JUPYTER_CONFIG_PATH"] = str(ROOT / ".jupyter")  # as `make lab`: the shipped config
        cmd = [
            *_jupyter(),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # never asks PyPI
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            cmd.append("--allow-root")
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)

    def wait_ready(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                status, body = self.api("GET", "/api/status", timeout=2)
                if status == 200:
                    return body
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise AssertionError(
            f"JupyterLab n'a pas démarré (code {self.proc.poll()}) :\n{self.tail()}"
        )

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then make sure it is gone."""
        try:
            if self.proc.poll() is None:
                try:
                    self.api("POST", "/api/shutdown", timeout=5)
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.terminate()
                    try:
                        self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        self.proc.kill()
                        self.proc.wait()
        finally:
            self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("jupyterlab")
    root = copy_project(work / "projet")
    server = Lab(root, work)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


class Kernel:
    """One kernel of the server, spoken to over its websocket (protocol v5, JSON frames)."""

    def __init__(self, lab: Lab, path: str) -> None:
        import websocket  # websocket-client, a dependency of jupyter_server

        self.lab = lab
        status, body = lab.api("POST", "/api/kernels", {"name": "python3", "path": path})
        assert status == 201, body
        self.id = body["id"]
        self.session = uuid.uuid4().hex
        ws_url = (
            f"ws://127.0.0.1:{lab.port}/api/kernels/{self.id}/channels"
            f"?session_id={self.session}&token={lab.token}"
        )
        self.ws = websocket.create_connection(ws_url, timeout=CELL_TIMEOUT)

    def request(self, msg_type: str, content: dict, channel: str = "shell") -> str:
        msg_id = uuid.uuid4().hex
        msg = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": "test",
                "session": self.session,
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
        self.ws.send(json.dumps(msg))
        return msg_id

    def collect(self, msg_id: str, reply_type: str, timeout: float = CELL_TIMEOUT):
        """The reply to ``msg_id`` and its iopub messages, up to the kernel going idle again."""
        reply, outputs, idle = None, [], False
        deadline = time.monotonic() + timeout
        while reply is None or not idle:
            if time.monotonic() > deadline:
                raise AssertionError(f"pas de réponse du noyau en {timeout} s ({reply_type})")
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == reply_type:
                reply = msg["content"]
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif kind in ("display_data", "execute_result", "stream", "error"):
                outputs.append(msg)
        return reply, outputs

    def execute(self, code: str, **extra):
        msg_id = self.request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
                **extra,
            },
        )
        return self.collect(msg_id, "execute_reply")

    def shutdown(self) -> None:
        try:
            self.ws.close()
        finally:
            status, _ = self.lab.api("DELETE", f"/api/kernels/{self.id}")
            assert status == 204


def test_contents_api_lists_the_workbook(lab):
    status, body = lab.api("GET", "/api/status")
    assert status == 200 and "started" in body
    status, listing = lab.api("GET", "/api/contents/notebooks")
    assert status == 200 and listing["type"] == "directory"
    entries = {e["name"]: e["type"] for e in listing["content"]}
    assert entries.get("rencontre.ipynb") == "notebook", entries
    assert entries.get("synthese.ipynb") == "notebook", entries
    # each notebook once: the jupytext .py pairs are hidden by .jupyter/jupyter_server_config.json
    assert not [n for n in entries if n.endswith(".py")], entries
    assert (ROOT / "notebooks" / "rencontre.py").exists()  # …though they are there


def test_make_lab_allows_root_only_for_root():
    """`make lab` runs JupyterLab with the shipped config, and --allow-root when uid is 0."""
    proc = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.installed", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    command = proc.stdout.strip().splitlines()[-1]
    assert "jupyter lab" in command and f'JUPYTER_CONFIG_PATH="{ROOT}/.jupyter"' in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)


def test_workbook_runs_cell_by_cell_in_a_lab_kernel(lab):
    status, model = lab.api(
        "GET", "/api/contents/notebooks/rencontre.ipynb?content=1&type=notebook"
    )
    assert status == 200 and model["format"] == "json"
    cells = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    assert cells and "parameters" in cells[0]["metadata"].get("tags", [])
    assert 'parametres = "parameters/lyon.yaml"' in "".join(cells[0]["source"])

    kernel = Kernel(lab, path="notebooks")
    try:
        info, _ = kernel.collect(kernel.request("kernel_info_request", {}), "kernel_info_reply")
        assert info["status"] == "ok" and info["protocol_version"].startswith("5.")

        bundles: list[dict] = []
        for number, cell in enumerate(cells, start=1):
            source = "".join(cell["source"])
            extra = {}
            if number == 1:  # where JupyterLab starts the kernel: the notebook's folder
                extra["user_expressions"] = {
                    "cwd": "__import__('os').getcwd()",
                    "batch": "__import__('rencontres_lib.display').display.in_papermill()",
                }
            reply, outputs = kernel.execute(source, **extra)
            errors = [o["content"] for o in outputs if o["header"]["msg_type"] == "error"]
            detail = "\n".join(
                ANSI_RE.sub("", "\n".join(e.get("traceback", []))) or f"{e['ename']}: {e['evalue']}"
                for e in errors
            )
            assert reply["status"] == "ok", (
                f"cellule de code n° {number} : {reply.get('ename')} : {reply.get('evalue')}\n"
                f"{source[:300]}\n{detail}"
            )
            if number == 1:
                expr = reply["user_expressions"]
                assert expr["cwd"]["status"] == "ok"
                cwd = expr["cwd"]["data"]["text/plain"].strip("'\"")
                assert Path(cwd) == lab.root / "notebooks"
                assert expr["batch"]["data"]["text/plain"] == "False"  # widgets shown
            bundles += [o["content"]["data"] for o in outputs if "data" in o["content"]]

        figures = [b for b in bundles if 'class="graphique"' in b.get("text/html", "")]
        interactive = [b for b in figures if PLOTLY_MIME in b]
        assert figures, "aucune sortie text/html de graphique"
        assert interactive, (
            f"aucun graphique ne porte {PLOTLY_MIME} (mimetypes : {sorted({k for b in bundles for k in b})})"
        )
        assert len(interactive) == len(figures), "certains graphiques ne sont pas interactifs"
        fig = interactive[0][PLOTLY_MIME]
        assert fig["data"] and fig["layout"]
    finally:
        kernel.shutdown()
    status, running = lab.api("GET", "/api/kernels")
    assert all(k["id"] != kernel.id for k in running)


def test_lab_shuts_down_cleanly(lab):
    """Last test of the module: the API shutdown ends the server process (the fixture's
    teardown does the same and tolerates a server already gone)."""
    lab.stop()
    assert lab.proc.returncode == 0, lab.tail()

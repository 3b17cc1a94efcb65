"""The build's text-analysis service: same results as a local call, refusals, fallback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from rencontres_lib import service, text


@pytest.fixture
def running():
    svc = service.start()
    assert svc.started.wait(60) and not svc.failed
    assert service.connect(svc.address, svc.authkey.hex(), wait=30)
    yield svc
    service.disconnect()
    svc.stop()


def test_compute_is_local_when_not_connected():
    service.disconnect()
    assert service.compute(service.ping) == os.getpid()


def test_compute_runs_in_the_service_then_falls_back_when_it_stops(running):
    served = service.compute(service.ping)
    assert served != os.getpid()  # another process answered
    running.stop()
    assert service.compute(service.ping) == os.getpid()  # gone: computed here, no error
    assert not service.connected()


def test_the_service_refuses_unregistered_functions(running):
    proxy = service._CLIENTS[None][1]
    with pytest.raises(ValueError, match="refusée"):
        proxy.run("os:getcwd", ())
    with pytest.raises(ValueError, match="refusée"):
        proxy.run("rencontres_lib.service:start", ())  # exists, but not marked remote


def test_the_build_preloads_registered_functions_only():
    """A preload name the service would refuse is refused at once, in the build's process (the
    service's own refusal went unseen: spaCy then loaded only on the first notebook's call)."""
    for name in service.BUILD_PRELOAD:
        assert service._resolve(name)  # registered: the service will run it
    with pytest.raises(ValueError, match="refusée"):
        service.start(("rencontres_lib.names:french_pipeline",))  # not marked remote


def test_the_service_runs_its_preload_as_soon_as_it_starts():
    svc = service.start(("rencontres_lib.service:ping",))
    try:
        assert svc.attach()  # this process, as the build's audit does
        assert service.compute(service.ping) != os.getpid()
        deadline = time.monotonic() + 30
        while not service.compute(service.preloaded) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.compute(service.preloaded) == ["rencontres_lib.service:ping"]
    finally:
        svc.stop()
    assert not service.connected()  # stop() disconnected this process: local from now on
    assert service.compute(service.ping) == os.getpid()


def test_a_service_loads_after_another_one_is_ready(tmp_path):
    """The encoder's service loads once spaCy's is loaded (the file READY in its folder), so
    that it never takes CPU from the load every notebook waits for; then says it is ready."""
    other = tmp_path / "spacy"
    other.mkdir()
    svc = service.start(("rencontres_lib.service:ping",), after=other / service.READY)
    try:
        assert svc.attach()
        time.sleep(1.0)
        assert service.compute(service.preloaded) == []  # still waiting
        assert not (svc.folder / service.READY).exists()
        (other / service.READY).touch()
        deadline = time.monotonic() + 30
        while not service.compute(service.preloaded) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.compute(service.preloaded) == ["rencontres_lib.service:ping"]
        assert (svc.folder / service.READY).exists()
    finally:
        svc.stop()


def test_each_model_goes_to_its_own_service(monkeypatch):
    """Calls of the encoder go to the encoder's service, the others to spaCy's; a service
    that fails is dropped alone (that call computed here, the next ones go to the other)."""
    from rencontres_lib import consolidation

    class Proxy:
        def __init__(self, tag: str, fails: bool = False) -> None:
            self.tag, self.fails, self.names = tag, fails, []

        def run(self, name, args):
            self.names.append(name)
            if self.fails:
                raise EOFError
            return self.tag

    spacy, encoder = Proxy("spacy"), Proxy("encodeur", fails=True)
    monkeypatch.setattr(service, "_CLIENTS", {None: ("/a/s", spacy), "encodeur": ("/b/s", encoder)})
    assert service.compute(service.ping) == "spacy"
    assert service.compute(text.tag_meaningful_words, []) == "spacy"
    monkeypatch.setattr(consolidation, "encoder", lambda: None)  # the local fallback: no load
    assert service.compute(consolidation.load_encoder) is None  # the encoder's service failed
    assert encoder.names == ["rencontres_lib.consolidation:load_encoder"]
    assert service._CLIENTS == {None: ("/a/s", spacy)}
    assert service.compute(consolidation.load_encoder) == "spacy"


def test_texts_sent_twice_are_computed_once_by_the_service(running):
    """Two kernels asking for the same texts at once: the second gets the first's results."""
    a, b, c = "Former les élus.", "Un budget participatif.", "Ouvrir les conseils de quartier."
    first = service.compute_each(text.tag_meaningful_words, [a, b])
    second = service.compute_each(text.tag_meaningful_words, [b, c, b])
    assert service.compute(service.computed) == {"rencontres_lib.text:tag_meaningful_words": 3}
    service.disconnect()
    assert first == text.tag_meaningful_words([a, b])  # the same words as a local call
    assert second == text.tag_meaningful_words([b, c, b])


def test_a_remote_function_names_a_known_model():
    with pytest.raises(ValueError, match="modèle inconnu"):
        service.remote(model="gpt")


def test_the_cli_starts_a_service_for_cold_builds_only(tmp_path):
    (tmp_path / "build").mkdir()
    assert service.start_for_build(tmp_path, jobs=1, force=True) is None  # one kernel
    assert service.start_for_build(tmp_path, jobs=5, force=True) is None  # beyond 4
    assert service.start_for_build(tmp_path, jobs=2, force=True, cluster="tcp://h:8786") is None
    first = service.start_for_build(tmp_path, jobs=2, force=False)  # no cache.json: cold
    (tmp_path / "build" / "cache.json").write_text("{}", encoding="utf-8")
    assert service.start_for_build(tmp_path, jobs=2, force=False) is None  # incremental
    svc = service.start_for_build(tmp_path, jobs=2, force=True)  # --force: cold
    try:
        assert first is not None and first.started.wait(60) and not first.failed
        assert svc is not None and svc.started.wait(60) and not svc.failed
        assert svc.attach() and service.compute(service.ping) != os.getpid()
    finally:
        for s in (first, svc):
            if s is not None:
                s.stop()


def test_connect_gives_up_on_a_wrong_key(running):
    service.disconnect()
    assert not service.connect(running.address, "00" * 32, wait=0.5)
    assert service.compute(service.ping) == os.getpid()


def test_word_classes_through_the_service_equal_the_local_ones(running, tmp_path, monkeypatch):
    """The same function on the same texts gives the same words, in the service or here."""
    texts = ["Les habitants demandent un budget participatif.", "Former les élus à écouter."]
    remote = service.compute(text.tag_meaningful_words, texts)
    service.disconnect()
    local = text.tag_meaningful_words(texts)
    assert remote == local
    # checked by hand: nouns, adjectives and verbs of 3 letters or more, not stop words
    assert ("habitants", "habitant") in local[0] and ("budget", "budget") in local[0]
    assert all(w not in {"les", "un"} for w, _ in local[0])


def test_the_service_ends_when_the_build_that_started_it_is_killed(tmp_path):
    """A build killed with SIGKILL leaves no text-analysis process behind."""
    script = (
        "import time\n"
        "from rencontres_lib import service\n"
        "if __name__ == '__main__':\n"
        "    svc = service.start()\n"
        "    svc.started.wait(60)\n"
        "    service.connect(svc.address, svc.authkey.hex(), wait=30)\n"
        "    print(service.compute(service.ping), svc.folder, flush=True)\n"
        "    time.sleep(120)\n"
    )
    path = tmp_path / "lot.py"
    path.write_text(script, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    pid, folder = proc.stdout.readline().split()
    pid = int(pid)
    assert Path(folder).is_dir()
    assert pid != proc.pid
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(100):  # the service notices within about a second
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("le service d'analyse a survécu à la construction tuée")
    assert not Path(folder).exists()  # its socket folder went with it


@pytest.mark.parametrize("started", [False, True])
def test_a_command_ending_before_its_build_still_stops_the_service(tmp_path, started):
    """``rencontres build`` interrupted or failing after :func:`service.start_for_build` and
    before the build's own clean-up: the program still ends, and so does its service (the
    socket folder stayed in the temporary folder; an end while the process was still
    starting waited for it forever)."""
    script = (
        "import sys\n"
        "from rencontres_lib import service\n"
        "if __name__ == '__main__':\n"
        "    svc = service.start()\n"
        f"    if {started}:\n"
        "        svc.started.wait(60)\n"
        "    print(svc.folder, flush=True)\n"
        "    sys.exit(130)  # what the command returns on Ctrl-C\n"
    )
    path = tmp_path / "interrompu.py"
    path.write_text(script, encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        pytest.fail("la commande interrompue attend sans fin son service d'analyse")
    assert done.returncode == 130
    folder = Path(done.stdout.strip())
    assert folder.name.startswith("rc-analyse-") and not folder.exists()


def test_kernels_stop_waiting_when_the_service_cannot_start(monkeypatch):
    """A service that fails to start (socket path too long, spawn refused) costs the kernels
    no wait: they compute locally at once instead of retrying for ``CONNECT_WAIT`` seconds."""

    def refuse(self, *args, **kwargs):
        raise EOFError

    def no_wait(seconds):
        raise AssertionError("connect attend un service qui a échoué")

    monkeypatch.setattr(service._Manager, "start", refuse)
    svc = service.start()
    assert svc.started.wait(60) and svc.failed
    clock = types.SimpleNamespace(monotonic=time.monotonic, sleep=no_wait)
    monkeypatch.setattr(service, "time", clock)
    assert not service.connect(svc.address, svc.authkey.hex(), wait=3600)
    assert service.compute(service.ping) == os.getpid()
    svc.stop()


def test_an_interrupted_call_disconnects(monkeypatch):
    """After an interruption the proxy's connection holds a reply not yet read: the next
    call must not read it as its own answer (it would be another text's names)."""

    class Interrupted:
        def run(self, name, args):
            raise KeyboardInterrupt

    monkeypatch.setattr(service, "_CLIENTS", {None: ("/a/s", Interrupted())})
    with pytest.raises(KeyboardInterrupt):
        service.compute(service.ping)
    assert not service.connected()
    assert service.compute(service.ping) == os.getpid()

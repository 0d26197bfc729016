"""nas._files: the inter-process lock is exclusive and portable (no fcntl at import)."""

import multiprocessing
import subprocess
import sys
import time

from nas._files import file_lock


def _hold(path: str, ready, release) -> None:
    with file_lock(path):
        ready.set()
        release.wait(60)


def test_file_lock_excludes_another_process(tmp_path):
    path = tmp_path / "state.lock"
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(path), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        acquired = []

        def take() -> None:
            with file_lock(path):
                acquired.append(time.monotonic())

        import threading

        thread = threading.Thread(target=take)
        thread.start()
        thread.join(0.5)
        assert acquired == [], "the lock was taken while another process held it"
        released_at = time.monotonic()
        release.set()
        thread.join(60)
        assert len(acquired) == 1 and acquired[0] >= released_at
    finally:
        release.set()
        holder.join(60)


def test_import_and_lock_without_fcntl(tmp_path):
    """Windows has no fcntl: importing nas and taking a study lock must not need it."""
    code = ("import sys; sys.modules['fcntl'] = None\n"
            "import nas, nas.study, nas.cost\n"
            "from nas._files import file_lock\n"
            f"with file_lock({str(tmp_path / 'x.lock')!r}):\n"
            "    print('locked')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "locked"

"""Progress bars (tqdm) that stay clean in logs: on a terminal, ordinary tqdm bars; when standard
error is a file or a pipe (CI logs, ``nohup``, ``2> run.log``), each update is one plain line,
written at most every :data:`LOG_INTERVAL` seconds, with no carriage returns and no
cursor-control sequences."""

from __future__ import annotations

import sys

from tqdm import tqdm

LOG_INTERVAL = 30.0  # seconds between lines of one bar when standard error is not a terminal
_CURSOR_UP = "\x1b[A"


def is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class _LineStream:
    """Drops what tqdm writes to redraw a terminal (carriage returns, cursor-up sequences, the
    blank padding that erases a bar) and passes real text through."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").replace(_CURSOR_UP, "")
        if text.strip():
            self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class _LineBar(tqdm):
    """A tqdm bar that prints its state as whole lines (only when it changed)."""

    _last_line = ""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        if msg == "":  # tqdm erasing the bar: nothing to erase in a log
            return True
        line = (self.__str__() if msg is None else msg).strip()
        if line and line != self._last_line:
            self._last_line = line
            self.fp.write(line + "\n")
            self.fp.flush()
        return True


def progress_bar(*, file=None, **options) -> tqdm:
    """A tqdm bar on ``file`` (standard error by default) taking tqdm's keyword options;
    plain lines instead of a redrawn bar when ``file`` is not a terminal."""
    stream = sys.stderr if file is None else file
    if is_terminal(stream):
        return tqdm(file=stream, **options)
    options.pop("position", None)
    options.pop("dynamic_ncols", None)
    options.setdefault("mininterval", LOG_INTERVAL)
    return _LineBar(file=_LineStream(stream), ncols=100, ascii=True, **options)


def write_line(text: str, file=None) -> None:
    """Print a line without breaking the bars (tqdm.write on a terminal, a plain print
    otherwise)."""
    stream = sys.stderr if file is None else file
    if is_terminal(stream):
        tqdm.write(text, file=stream)
    else:
        print(text, file=stream, flush=True)

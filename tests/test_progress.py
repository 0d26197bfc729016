"""nas._progress: bars redraw on a terminal, and become plain lines in a log."""

import io

from nas._progress import progress_bar, write_line


def run_bars(stream) -> None:
    outer = progress_bar(file=stream, total=2, desc="study", unit="trial", position=0,
                         dynamic_ncols=True, mininterval=0)
    for number in range(2):
        with progress_bar(file=stream, total=2, desc=f"trial {number}", unit="epoch",
                          leave=False, position=1, mininterval=0) as bar:
            for _ in range(2):
                bar.update()
                bar.set_postfix(accuracy="0.5000")
        write_line(f"trial {number} COMPLETE", file=stream)
        outer.n = number + 1
        outer.refresh()
    outer.close()


def test_a_log_gets_whole_lines_without_control_characters():
    log = io.StringIO()
    run_bars(log)
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert all(line.strip() for line in lines)  # no blank padding lines
    assert "trial 0 COMPLETE" in lines and "trial 1 COMPLETE" in lines
    assert any(line.startswith("trial 1: 100%") and "accuracy=0.5000" in line for line in lines)
    assert lines[-1].startswith("study: 100%")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a console's standard error does."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_redrawn_bars():
    terminal = Terminal()
    run_bars(terminal)
    output = terminal.getvalue()
    assert "\r" in output  # tqdm redraws in place on a terminal
    assert "trial 1 COMPLETE" in output

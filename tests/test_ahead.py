"""The helper that makes a part's second layout ahead (paged/ahead.py): whatever happens
to it, the worker gets the helper's result or None (and lays the part out itself), and
no helper is left behind."""

from __future__ import annotations

import os
import time

import pytest

from octavo.paged.ahead import FORK, Ahead, Handover

pytestmark = pytest.mark.skipif(not FORK, reason="the helper is a forked process")
HANDOVER = Handover(None, {"<html>" * 50_000}, 1, [], [], None)  # larger than a pipe's buffer


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_helper_goes_on_and_its_words_reach_the_worker():
    heard = []

    def go_on(html, document, messages, handover, say):
        say(("placed", {"a.png": (1, 2)}))
        return (html, document, len(handover.seen))
    ahead = Ahead("<p>guess</p>", lambda html: (html.upper(), []), go_on)
    pid = ahead.pid
    assert ahead.hand(HANDOVER, heard.append) == ("<p>guess</p>", "<P>GUESS</P>", 1)
    assert heard == [("placed", {"a.png": (1, 2)})] and ahead.pid is None and _gone(pid)


@pytest.mark.parametrize("where", ["layout", "go_on", "killed"])
def test_a_helper_that_fails_gives_none(where):
    def lay_out(html):
        if where == "layout":
            raise RuntimeError("no layout")
        return html, []

    def go_on(*args):
        if where == "go_on":
            raise RuntimeError("no part")
        time.sleep(30)
    ahead = Ahead("<p>guess</p>", lay_out, go_on)
    pid = ahead.pid
    if where == "killed":
        os.kill(pid, 9)
    elif where == "layout":
        time.sleep(0.5)  # (it died before the handover: the worker's write breaks the pipe)
    assert ahead.hand(HANDOVER, lambda value: None) is None
    assert ahead.pid is None and _gone(pid)


def test_a_wrong_guess_stops_the_helper():
    ahead = Ahead("<p>guess</p>", lambda html: (time.sleep(30), [])[::-1], lambda *a: None)
    pid = ahead.pid
    started = time.perf_counter()
    ahead.stop()
    assert time.perf_counter() - started < 5 and ahead.pid is None and _gone(pid)


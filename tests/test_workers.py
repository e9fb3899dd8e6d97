"""The layout workers a build is handed (runner/parts.py, launch.py): forked before the
rest of the pipeline is imported, they warm up while it loads, and the build uses
them; workers started for other options, or for a build that did not need them, are
stopped and reaped, never left running."""

from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import FIXTURES
from octavo.options import BuildOptions
from octavo.runner import parts
from octavo.runner.cache import BuildCache
from octavo.runner.fanout import Workers, cores, report
from octavo.runner.parallel import Jobs


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _options(tmp_path) -> BuildOptions:
    return BuildOptions(manuscript=FIXTURES / "figures", out=tmp_path / "dist", quiet=True)


@pytest.fixture(autouse=True)
def no_workers_left():
    yield
    parts.stop_early_workers()


def test_the_workers_started_early_are_the_builds(tmp_path):
    options = _options(tmp_path)
    parts.start_layout_workers(options)
    early = parts._EARLY[-1][1]
    pids = [worker.pid for worker in early.started]
    assert len(pids) == min(cores(), BuildCache(options).workers(cores())) >= 1
    assert all(_alive(pid) for pid in pids)
    with parts.layout_workers(options, BuildCache(options)) as workers:
        assert workers is early and parts._EARLY == []
        assert workers.map(pow, [(2, 10), (3, 3)]) == [1024, 27]
    assert not any(_alive(pid) for pid in pids)  # stopped and reaped


def test_workers_no_build_took_are_stopped(tmp_path):
    options = _options(tmp_path)
    parts.start_layout_workers(options)
    pids = [worker.pid for worker in parts._EARLY[-1][1].started]
    other = _options(tmp_path / "other")  # another build: the early ones do not fit it
    with parts.layout_workers(other, BuildCache(other)) as workers:
        assert workers.started and parts._EARLY == []
        assert not any(_alive(pid) for pid in pids)
    parts.start_layout_workers(options)
    pids = [worker.pid for worker in parts._EARLY[-1][1].started]
    parts.stop_early_workers()  # the build found nothing to remake
    assert parts._EARLY == [] and not any(_alive(pid) for pid in pids)


def _reporting(value: int) -> int:
    report(("placed", value))
    return value * 10


def _failing_or_slow(value: int) -> int:
    if value == 0:
        raise ValueError("this part cannot be laid out")
    time.sleep(30)  # still laying out when the other fails
    return value


def test_a_task_reports_before_it_ends():
    heard = []
    with Workers(2, 2) as workers:
        results = workers.map(_reporting, [(1,), (2,), (3,)],
                              early=lambda index, value: heard.append((index, value)))
    assert results == [10, 20, 30]
    assert sorted(heard) == [(0, ("placed", 1)), (1, ("placed", 2)), (2, ("placed", 3))]


def test_a_failed_part_stops_the_workers_still_busy():
    """As in a build (runner/child.py): SIGTERM raises, and a job forked after the
    workers holds their pipes. A worker stopped mid-task used to catch the raise as its
    task's error and wait for another task for ever, and the build with it."""
    def stopped(signum, frame):
        raise SystemExit("stopped")
    previous = signal.signal(signal.SIGTERM, stopped)
    started = time.monotonic()
    try:
        with Workers(2, 2) as workers, Jobs() as jobs:
            holder = jobs.fork(time.sleep, 5)  # inherits the workers' pipes
            with pytest.raises(ValueError, match="cannot be laid out"):
                workers.map(_failing_or_slow, [(0,), (1,)], [2, 1])
            holder.cancel()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert time.monotonic() - started < 5


def _wide(value: int) -> tuple[float, float]:
    started = time.monotonic()
    if value == 0:  # keeps a second core busy (a helper it forked) for 0.3 s
        time.sleep(0.3)
        report("measured")
        time.sleep(0.2)
        return started, time.monotonic() - 0.2
    return started, started


def test_an_item_spread_on_two_cores_holds_the_others_back_until_it_reports():
    with Workers(2, 2) as workers:
        results = workers.map(_wide, [(0,), (1,), (2,)], [3, 2, 1], spread=[2, 1, 1])
    reported = results[0][1]
    assert all(started >= reported for started, _ in results[1:])


def _warm_slowly(log: str, waiting=None) -> None:
    time.sleep(0.3)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {time.monotonic()}\n")


def _where(value: int) -> tuple[int, float]:
    return os.getpid(), time.monotonic()


def test_a_worker_past_the_eager_ones_warms_up_only_with_its_first_item(tmp_path):
    """An article's second worker (runner/parts.py: `eager=1` for a book of one
    chapter) takes no core while the first warms up and the manuscript is read: it is
    given an item only once the first is warm, and then the costliest goes to the first."""
    log = tmp_path / "warm.log"
    with Workers(2, 2, _warm_slowly, str(log), eager=1) as workers:
        time.sleep(0.05)
        results = workers.map(_where, [(0,), (1,), (2,)], [1, 3, 2], spread=[1, 2, 1])
    warmed = [line.split() for line in log.read_text().splitlines()]
    assert len(warmed) == 1  # the lazy one never ran `warm`
    eager_pid, warm_at = int(warmed[0][0]), float(warmed[0][1])
    assert results[1][0] == eager_pid  # the costliest, on the warm worker
    assert all(at >= warm_at for _, at in results)

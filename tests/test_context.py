"""The per-window Context: each intermediate result computed once, and two windows (a view's period
and the one before it, analysed on two threads) never waiting for each other."""
from __future__ import annotations

import threading

from metrics.builtin.context import Context, cached_property


class Counting:
    calls = 0

    @cached_property
    def value(self):
        Counting.calls += 1
        return [Counting.calls]


def test_a_result_is_computed_once_per_context():
    Counting.calls = 0
    first, second = Counting(), Counting()
    assert first.value is first.value and first.value == [1]
    assert second.value == [2] and Counting.calls == 2


def test_two_contexts_compute_at_once_on_two_threads():
    """Each thread's computation waits at a barrier for the other's: with a lock shared by every
    instance (functools.cached_property before Python 3.12) the second would wait for the first to
    finish, which it never does, and the barrier breaks."""
    barrier = threading.Barrier(2, timeout=10)

    class Meeting(Context):
        @cached_property
        def met(self):
            barrier.wait()
            return True

    results, errors = [], []

    def compute(context):
        try:
            results.append(context.met)
        except threading.BrokenBarrierError as e:
            errors.append(e)

    threads = [threading.Thread(target=compute, args=(Meeting(None, None, None, 24.0),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and results == [True, True]

"""no_grad(): nesting, threads and asyncio tasks see their own setting."""

import asyncio
import threading

from autograd import Value, enable_grad, no_grad


def test_ops_inside_no_grad_record_no_parents():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + x.tanh()
        d = __import__("autograd").dot([x], [2.0])
    assert y.is_leaf and y.parents == () and y.data == 6.0 + x.tanh().data
    assert d.is_leaf
    assert not (x * 3).is_leaf


def test_no_grad_nests_and_restores():
    x = Value(1.0)
    with no_grad():
        with no_grad():
            assert (x + 1).is_leaf
        assert (x + 1).is_leaf
        with enable_grad():
            assert not (x + 1).is_leaf
        assert (x + 1).is_leaf
    assert not (x + 1).is_leaf


def test_no_grad_restores_after_an_exception():
    x = Value(1.0)
    try:
        with no_grad():
            raise RuntimeError
    except RuntimeError:
        pass
    assert not (x + 1).is_leaf


def test_no_grad_is_per_thread():
    x = Value(1.0)
    inside, seen = threading.Event(), {}

    def other():
        inside.wait()
        seen["leaf"] = (x * 2).is_leaf

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        inside.set()
        t.join()
    assert seen["leaf"] is False


def test_no_grad_is_per_asyncio_task():
    x = Value(1.0)

    async def quiet():
        with no_grad():
            await asyncio.sleep(0.01)
            return (x * 2).is_leaf

    async def loud():
        await asyncio.sleep(0.005)
        return (x * 2).is_leaf

    async def main():
        return await asyncio.gather(quiet(), loud())

    assert asyncio.run(main()) == [True, False]

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import anyio.lowlevel
import pytest

from openrouterai_mcp.lifecycle import collecting, loop_name, loop_options, run, starting_up

uvloop_installed = pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """`run` freezes the heap for the cyclic GC; the test process gets it back (and its collector) afterwards."""
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


@uvloop_installed
def test_uvloop_is_chosen_when_enabled_and_installed() -> None:
    pytest.importorskip("uvloop")
    assert loop_options(True) == {"use_uvloop": True}


def test_stock_asyncio_is_chosen_when_uvloop_is_turned_off() -> None:
    assert loop_options(False) == {}


def test_a_missing_uvloop_falls_back_to_asyncio_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import uvloop` raise ImportError, as on a machine without it.
    monkeypatch.setitem(sys.modules, "uvloop", None)
    assert loop_options(True) == {}


@pytest.mark.parametrize("use_uvloop", [True, False])
def test_run_executes_the_coroutine_on_the_chosen_loop(use_uvloop: bool) -> None:
    if use_uvloop:
        pytest.importorskip("uvloop")
    seen: list[str] = []

    async def main() -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(loop_name())

    run(main, use_uvloop=use_uvloop)
    assert seen == ["uvloop" if use_uvloop else "asyncio"]


def test_what_was_made_before_the_loop_is_frozen_out_of_the_cyclic_gc() -> None:
    started_with = gc.get_freeze_count()
    frozen: list[int] = []

    async def main() -> None:
        frozen.append(gc.get_freeze_count())

    run(main, use_uvloop=False)
    assert started_with == 0
    assert frozen[0] > 1000  # the interpreter's and the test process's objects at least


def test_start_up_runs_without_the_cyclic_gc_and_serving_with_it() -> None:
    starting_up()
    assert not gc.isenabled()
    made_while_starting = [[] for _ in range(100)]
    collecting()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made_while_starting)
    enabled_while_serving: list[bool] = []

    async def main() -> None:
        enabled_while_serving.append(gc.isenabled())

    starting_up()
    run(main, use_uvloop=False)
    assert enabled_while_serving == [True]

from __future__ import annotations

import sys

import anyio.lowlevel
import pytest

from openrouterai_mcp.lifecycle import loop_name, loop_options, run

uvloop_installed = pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not exist on Windows")


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

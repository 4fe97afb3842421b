"""The latest page of a live chat is saved at most once per interval, and last when it ends."""

from __future__ import annotations

from dataclasses import dataclass, field

from component.web.pages import SAVE_SECONDS, PageSaver
from tests.unit.fakes import Clock


@dataclass
class Store:
    saved: list[tuple[int, int, str, str]] = field(default_factory=list)
    failing: bool = False

    async def set_page(self, site_id: int, number: int, page: str, title: str) -> None:
        if self.failing:
            raise ConnectionError("database gone")
        self.saved.append((site_id, number, page, title))


async def test_a_burst_is_one_write_now_and_the_latest_at_the_end() -> None:
    store, clock = Store(), Clock()
    saver = PageSaver(store, 1, 7, clock)
    for n in range(10):
        await saver.saw((f"/p{n}", f"P{n}"))
        clock.advance(0.5)
    assert store.saved == [(1, 7, "/p0", "P0")]
    await saver.flush()
    assert store.saved == [(1, 7, "/p0", "P0"), (1, 7, "/p9", "P9")]
    await saver.flush()  # nothing new: nothing written
    assert len(store.saved) == 2


async def test_after_the_interval_a_page_is_written_at_once() -> None:
    store, clock = Store(), Clock()
    saver = PageSaver(store, 1, 7, clock)
    await saver.saw(("/a", "A"))
    clock.advance(SAVE_SECONDS)
    await saver.saw(("/b", ""))
    assert [page for _, _, page, _ in store.saved] == ["/a", "/b"]


async def test_a_failed_write_is_logged_not_raised() -> None:
    store = Store(failing=True)
    saver = PageSaver(store, 1, 7, Clock())
    await saver.saw(("/a", "A"))  # the socket keeps going
    assert store.saved == []

"""What the embedded backend promises beyond the shared contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from index.search.base import IndexVersion, SearchQuery
from index.search.sqlite_fts import SqliteFtsIndex
from tests.index.test_search_contract import version


def test_searches_during_a_rebuild_see_the_old_index_until_the_new_one_is_whole(tmp_path: Path) -> None:
    index = SqliteFtsIndex(tmp_path / "search.sqlite")
    old = [version(1, "timer alpha"), version(2, "timer bravo"), version(3, "timer charlie")]
    index.add(old)
    seen_mid_rebuild: list[int] = []

    def search_from_another_thread() -> None:
        reader = SqliteFtsIndex(tmp_path / "search.sqlite")
        seen_mid_rebuild.append(reader.search(SearchQuery("timer")).total)
        reader.close()

    def batches() -> Iterator[list[IndexVersion]]:
        yield [version(1, "timer alpha")]
        thread = threading.Thread(target=search_from_another_thread)
        thread.start()
        thread.join()
        yield [version(2, "timer bravo")]

    assert index.replace_all(batches()) == 2
    assert seen_mid_rebuild == [3]  # the complete old index, not the half-built new one
    assert index.search(SearchQuery("timer")).total == 2

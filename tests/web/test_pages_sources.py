"""Sources (health, runs and errors, index, outbox dead letters) and the plots (SVG and tables)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from sqlalchemy import update

from index.models import OutboxRow
from sepwatch.app import App
from tests.web.conftest import WebClient
from tests.web.pages_data import Corpus, corpus_fixture, visible_text, web_settings_fixture  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def test_sources_health_runs_and_dead_letters(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    with web_app.store.session(write=True) as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.alert_id == corpus.alert_ids[1])
            .values(status="dead", attempts=8, last_error="SMTP 550 mailbox unavailable")
        )
    web = client()
    text = visible_text(web.get("/sources").text)
    assert "threegpp_tdocs failing" in text and "HTTP 503" in text
    assert "threegpp_specs healthy" in text
    assert "https://www.3gpp.org/ftp/tsg_ran/WG2_RL2/ : HTTP 503" in text
    assert "SMTP 550 mailbox unavailable" in text and "failed: 1" in text
    data = web.get("/api/v1/sources").json()
    health = {h["source"]: h for h in data["health"]}
    assert (
        health["threegpp_tdocs"]["state"] == "failing"
        and health["threegpp_tdocs"]["consecutive_failures"] == 1
    )
    assert health["ietf_ipr"]["state"] == "never run"
    assert data["index_pending"] == 0 and data["index_counts"]["documents"] >= 7
    assert data["outbox"]["dead"] == 1 and data["dead_letters"][0]["alert_id"] == corpus.alert_ids[1]
    failed = next(r for r in data["runs"] if r["status"] == "failed")
    assert failed["errors"] == [{"item": "https://www.3gpp.org/ftp/tsg_ran/WG2_RL2/", "reason": "HTTP 503"}]


def test_plots_draw_svg_with_a_table_of_the_same_numbers(
    corpus: Corpus, client: Callable[..., WebClient]
) -> None:
    web = client()
    data = web.get("/api/v1/plots/contributions", params={"group": "RAN2"}).json()
    assert data["meetings"] == ["RAN2#129", "RAN2#130"]
    rows = {r["company"]: r["counts"] for r in data["rows"]}
    assert rows == {"Huawei": [2, 1], "HiSilicon": [2, 0], "Nokia": [1, 0], "Ericsson": [0, 1], "ZTE": [0, 1]}
    assert data["tdocs"] == [2, 2]
    html = web.get("/plots", params={"group": "RAN2"}).text
    svg = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="contributions".*?</svg>', html, re.S
    )
    assert svg is not None
    tree = ET.fromstring(svg.group(0))  # well-formed XML
    texts = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    assert "Huawei" in texts and "RAN2#130" in texts
    assert '<th scope="row">Huawei</th><td class="num">2</td><td class="num">1</td>' in html
    image = web.get("/plots/contributions.svg", params={"group": "RAN2"})
    assert image.headers["content-type"] == "image/svg+xml" and ET.fromstring(image.content).tag.endswith(
        "svg"
    )
    docs = web.get("/api/v1/plots/documents", params={"months": 12}).json()
    assert len(docs["months"]) == 12
    series = {s["group"]: s for s in docs["series"]}
    assert series["RAN2"]["total"] == 5 and series["TC5"]["total"] == 1  # first versions in the last year
    assert "quic" not in series  # its documents are older than a year
    assert ET.fromstring(web.get("/plots/documents.svg").content).tag.endswith("svg")

"""The patent office spiders against loopback servers replaying recorded OPS and ODP answers."""

from __future__ import annotations

import json
from urllib.parse import quote

from crawlers.items import PatentEvent
from index import patents
from index.store import Store
from tests.conftest import REPO, realdata
from tests.crawlers.spiders.conftest import Sepwatch
from tests.mirror import Mirror

OPS = "/3.2/rest-services/"
THROTTLE = {
    "X-Throttling-Control": "idle (images=green:200, inpadoc=green:60, other=green:1000, retrieval=green:100, search=green:30)",
    "X-IndividualQuotaPerHour-Used": "12345",
}


def test_epo_ops_portfolio_and_competitor(
    sepwatch: Sepwatch, mirror: Mirror, settings_env: dict[str, str]
) -> None:
    mirror.put(
        "/3.2/auth/accesstoken", json.dumps({"access_token": "t0k3n", "expires_in": 1199}), "application/json"
    )
    mirror.put(
        OPS + "register/publication/epodoc/EP3000000/biblio",
        realdata("epo", "ops_register_biblio_EP3000000.xml").read_bytes(),
        "application/xml",
        headers=THROTTLE,
    )
    # The register names the application; its events and steps are asked for under it.
    mirror.put(
        OPS + "register/application/epodoc/EP14735465/events,procedural-steps",
        realdata("epo", "ops_register_procedural_steps_EP1000000.xml").read_bytes(),
        "application/xml",
        headers=THROTTLE,
    )
    mirror.put(
        OPS + "legal/publication/epodoc/EP1000000",
        realdata("epo", "ops_legal_example_1.xml").read_bytes(),
        "application/xml",
    )
    mirror.put(
        OPS + "family/publication/epodoc/EP1000000",
        realdata("epo", "ops_family_input.xml").read_bytes(),
        "application/xml",
    )
    search = OPS + "published-data/search?q=" + quote('pa="NTT DOCOMO"', safe="")
    mirror.put(search, (REPO / "tests/fixtures/epo/search_pa_ntt_docomo.xml").read_bytes(), "application/xml")
    mirror.put(
        OPS + "published-data/publication/docdb/US.10047600.B2/biblio",
        realdata("epo", "ops_published_biblio_US10047600B2.xml").read_bytes(),
        "application/xml",
    )
    # OPS throttles the INPADOC service once: the answer is retried after Retry-After.
    mirror.fail_status = 429
    mirror.fail[OPS + "legal/publication/epodoc/EP1000000"] = 1

    sepwatch.configure(
        {
            "portfolio": {"own": ["EP3000000", "EP1000000"], "competitors": ["NTT DOCOMO"]},
            "epo": {"base_url": mirror.url + "/3.2", "client_id": "key"},
        }
    )
    sepwatch.env["SEPWATCH_EPO__CLIENT_SECRET"] = "s3cret"
    result = sepwatch.crawl("epo_ops", ok=False)
    assert mirror.posts == ["/3.2/auth/accesstoken"], mirror.requested()
    assert result["counts"].get("competitor_publications") == 1
    assert result["counts"]["ops_quota_hour_used"] == 12345
    errors = {e["url"].removeprefix(mirror.url): e["reason"] for e in result["errors"]}
    # Not on the mirror: noted, the rest goes through.
    assert sorted(errors) == sorted(
        [
            OPS + "register/publication/epodoc/EP1000000/biblio",
            OPS + "legal/publication/epodoc/EP3000000",
            OPS + "family/publication/epodoc/EP3000000",
            OPS + "legal/publication/docdb/US.10047600.B2",
        ]
    )
    assert [p for p in mirror.requested() if p.startswith(OPS + "legal/publication/epodoc/EP1000000")] == [
        OPS + "legal/publication/epodoc/EP1000000"
    ] * 2

    store = Store(settings_env["SEPWATCH_STORE__URL"])
    try:
        by_app = {p.application: p for p in patents.patents(store)}
        assert by_app["EP14735465"].publications[:3] == ["WO2014206532A1", "EP3000000A1", "EP3000000B1"]
        assert by_app["US15044813"].meta.get("competitor") == "NTT DOCOMO"
        legal = [e for e in patents.events(store, ["EP99203729"]) if e.kind == "legal-event"]
        assert len(legal) == 50  # seven PG25 lapses on one day stay seven events
        assert sum(1 for e in legal if e.code == "PG25") == 19
        assert sum(1 for e in legal if not e.known) == 28
        steps = [e for e in patents.events(store, ["EP14735465"]) if e.kind == "procedural-step"]
        assert [s.code for s in steps] == ["RFEE", "RFEE", "AGRA", "IGRA", "PROL", "ISAT"]
        before = len(patents.events(store))
    finally:
        store.close()

    mirror.fail.clear()
    again = sepwatch.crawl("epo_ops", ok=False)
    assert again["counts"].get("events_new", 0) == 0
    store = Store(settings_env["SEPWATCH_STORE__URL"])
    try:
        assert len(patents.events(store)) == before
    finally:
        store.close()


def test_sources_without_credentials_are_not_configured_not_failing(sepwatch: Sepwatch) -> None:
    sepwatch.configure({"portfolio": {"own": ["EP3000000", "US16123456"]}})
    for source in ("epo_ops", "uspto_odp"):
        result = sepwatch.crawl(source)
        assert result["status"] == "not configured", result
    health = {h["source"]: h for h in json.loads(sepwatch("status", "--json").stdout)["sources"]}
    assert health["epo_ops"]["state"] == "not configured"
    assert "SEPWATCH_USPTO__API_KEY" in health["uspto_odp"]["last_error"]


def test_uspto_odp_application(sepwatch: Sepwatch, mirror: Mirror, settings_env: dict[str, str]) -> None:
    base = "/api/v1/patent/applications/"
    record = json.loads(realdata("uspto", "odp_application.json").read_text())
    number = record["patentBag"][0]["applicationNumberText"]
    mirror.put(base + number, realdata("uspto", "odp_application.json").read_bytes(), "application/json")
    mirror.put(
        base + number + "/transactions",
        realdata("uspto", "odp_transactions.json").read_bytes(),
        "application/json",
    )
    mirror.put(
        base + number + "/continuity",
        realdata("uspto", "odp_continuity.json").read_bytes(),
        "application/json",
    )
    mirror.put(
        base + number + "/documents", realdata("uspto", "odp_documents.json").read_bytes(), "application/json"
    )
    sepwatch.configure({"portfolio": {"own": [f"US{number}"]}, "uspto": {"base_url": mirror.url}})
    sepwatch.env["SEPWATCH_USPTO__API_KEY"] = "k3y"
    result = sepwatch.crawl("uspto_odp")
    assert result["status"] == "succeeded", result["errors"]
    store = Store(settings_env["SEPWATCH_STORE__URL"])
    try:
        (patent,) = patents.patents(store, [f"US{number}"])
        events = patents.events(store, [f"US{number}"])
        assert events and all(isinstance(patents.as_event(e), PatentEvent) for e in events)
        assert {e.kind for e in events} == {"transaction"}
        # The recorded documents answer belongs to another application; its events keep that one.
        documents = patents.events(store, ["US16330077"])
        assert len(documents) == 117 and {e.kind for e in documents} == {"document"}
        assert patent.title
    finally:
        store.close()
    again = sepwatch.crawl("uspto_odp")
    assert again["counts"].get("events_new", 0) == 0

"""The JSON API of the pages on both stores (SQLite and PostgreSQL): every endpoint answers only
signed-in users, changes need the editor role, answers are JSON with HTML-significant characters
escaped, and the OpenAPI document describes each endpoint's answer."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.web.conftest import WebClient
from tests.web.pages_data import Corpus, corpus_fixture, web_settings_fixture  # noqa: F401 - fixtures


def reads(c: Corpus) -> list[str]:
    return [
        "/api/v1/search?q=RRC",
        "/api/v1/search?q=终端",
        f"/api/v1/documents/{c.spec_id}",
        f"/api/v1/documents/{c.spec_id}/diff",
        "/api/v1/claims",
        f"/api/v1/claims/{c.patent}",
        f"/api/v1/claims/{c.patent}/drift",
        "/api/v1/calendar",
        "/api/v1/alerts",
        "/api/v1/sources",
        "/api/v1/plots/contributions",
        "/api/v1/plots/documents",
    ]


def pages(c: Corpus) -> list[str]:
    return [
        "/search?q=RRC",
        f"/documents/{c.spec_id}",
        f"/documents/{c.zh_id}/diff",
        "/claims",
        f"/claims/{c.patent}",
        f"/claims/{c.patent}/export",
        "/calendar",
        "/calendar.ics",
        "/alerts",
        "/sources",
        "/plots",
        "/plots/contributions.svg",
        "/plots/documents.svg",
    ]


def test_every_read_needs_sign_in_and_answers_viewers(
    corpus: Corpus, anon: WebClient, client: Callable[..., WebClient]
) -> None:
    viewer = client("viewer")
    for path in reads(corpus):
        refused = anon.get(path)
        assert refused.status_code == 401, path
        assert refused.json() == {"detail": "not signed in"}, path
        answer = viewer.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert answer.headers["content-type"] == "application/json", path
        json.loads(answer.content)
        assert b"<" not in answer.content and b">" not in answer.content, path
    for path in pages(corpus):
        refused = anon.get(path)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login?next="), path
        assert viewer.get(path).status_code == 200, path
    export = anon.get(f"/api/v1/claims/{corpus.patent}/export")
    assert export.status_code == 401 and not export.content.startswith(b"PK")


def test_changes_need_the_editor_role(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    viewer = client("viewer")
    headers = {"X-CSRF-Token": viewer.csrf}
    acked = viewer.post("/api/v1/alerts/acknowledge", json={"ids": corpus.alert_ids}, headers=headers)
    assert acked.status_code == 403 and acked.json() == {"detail": "this needs the editor role"}
    put = viewer.put(f"/api/v1/claims/{corpus.patent}", content=b"patent: X", headers=headers)
    assert put.status_code == 403
    editor = client("editor")
    done = editor.post(
        "/api/v1/alerts/acknowledge", json={"ids": corpus.alert_ids}, headers={"X-CSRF-Token": editor.csrf}
    )
    assert done.status_code == 200 and done.json() == {"acknowledged": sorted(corpus.alert_ids)}


def test_the_pages_answer_the_same_on_this_store(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    """The store queries that differ by dialect (months, JSON fields) on SQLite and PostgreSQL."""
    web = client()
    contributions = web.get("/api/v1/plots/contributions").json()
    assert contributions["meetings"] == ["RAN2#129", "RAN2#130"]
    assert contributions["rows"][0] == {"company": "Huawei", "counts": [2, 1], "total": 3}
    documents = web.get("/api/v1/plots/documents").json()
    assert {s["group"] for s in documents["series"]} == {"RAN2", "TC5"}
    assert web.get("/api/v1/search", params={"q": "终端"}).json()["hits"][0]["number"] == "YD/T 3929-2021"
    diff = web.get(f"/api/v1/documents/{corpus.zh_id}/diff").json()
    assert [c["key"] for c in diff["clauses"]] == ["5.2"]
    chart = web.get(f"/api/v1/claims/{corpus.patent}").json()
    assert (
        len(chart["drift"]) == 2
        and chart["claims"][0]["features"][0]["standard_text"][0]["version"] == "18.4.0"
    )
    assert web.get("/api/v1/calendar", params={"date": corpus.meeting_date.isoformat()}).json()["entries"]


def test_openapi_describes_the_answers(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    schema = client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/v1/search": "SearchPage",
        "/api/v1/documents/{document_id}": "DocumentPage",
        "/api/v1/documents/{document_id}/diff": "DiffPage",
        "/api/v1/claims": "ClaimMapList",
        "/api/v1/claims/{patent}": "ClaimChart",
        "/api/v1/calendar": "CalendarPage",
        "/api/v1/alerts": "AlertPage",
        "/api/v1/sources": "SourcesPage",
        "/api/v1/plots/contributions": "ContributionsPlot",
        "/api/v1/plots/documents": "DocumentsPlot",
    }
    for path, model in expected.items():
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": f"#/components/schemas/{model}"}, path
        assert paths[path]["get"]["summary"], path
    hit = schema["components"]["schemas"]["SectionHitOut"]["properties"]["snippet"]
    assert "escaped" in hit["description"]
    assert "put" in paths["/api/v1/claims/{patent}"] and "post" in paths["/api/v1/alerts/acknowledge"]
    assert "text/calendar" in paths["/api/v1/calendar.ics"]["get"]["responses"]["200"]["content"]

"""The alert log: filters, deliveries, acknowledging by editors (page with CSRF, API with a token)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from index import alerts as alert_store
from sepwatch.app import App
from tests.web.conftest import WebClient
from tests.web.pages_data import Corpus, corpus_fixture, visible_text, web_settings_fixture  # noqa: F401 - fixtures
from web import auth

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def test_log_filters_and_deliveries(corpus: Corpus, client: Callable[..., WebClient]) -> None:
    web = client()
    text = visible_text(web.get("/alerts").text)
    assert "2 not acknowledged" in text
    assert "CN112345678A claim 1 reads on TS 38.331 V18.4.0" in text and "threegpp_tdocs is failing" in text
    assert "alice · email · pending" in text
    only = web.get("/api/v1/alerts", params={"kind": "source"}).json()
    assert [a["title"] for a in only["alerts"]] == ["threegpp_tdocs is failing"]
    assert dict(tuple(k) for k in only["kinds"]) == {"match": 1, "source": 1}
    match = web.get("/api/v1/alerts", params={"kind": "match"}).json()["alerts"][0]
    # The alert names a version (as the alert rules do): it links to that version of the document.
    assert match["patent"] == "CN112345678A" and match["document_id"] == corpus.spec_id
    assert f'href="/documents/{corpus.spec_id}?vid={match["version_id"]}"' in web.get("/alerts").text
    assert ["clause", "5.3.5.1"] in match["details"]
    # A viewer sees no acknowledge buttons.
    assert 'name="one"' not in web.get("/alerts").text


def test_editor_acknowledges_from_the_page(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    editor = client("editor")
    page = editor.get("/alerts", params={"acknowledged": "no"}).text
    assert f'name="one" value="{corpus.alert_ids[0]}"' in page
    done = editor.post(
        "/alerts/acknowledge",
        data={
            "one": str(corpus.alert_ids[0]),
            "ids": [str(corpus.alert_ids[1])],
            "csrf_token": editor.csrf,
            "next": "/alerts?acknowledged=no",
        },
    )
    # "one" (the row's button) acknowledges that alert only, even with other boxes ticked.
    assert done.status_code == 303 and done.headers["location"] == "/alerts?acknowledged=no&acked=1"
    rows = alert_store.alerts_by_id(web_app.store, corpus.alert_ids)
    assert rows[corpus.alert_ids[0]].acknowledged_by == editor.credentials.username  # type: ignore[union-attr]
    assert rows[corpus.alert_ids[1]].acknowledged_at is None
    after = visible_text(editor.get(done.headers["location"]).text)
    assert "1 alerts acknowledged." in after and "1 not acknowledged" in after
    assert "CN112345678A claim 1 reads" not in after  # filtered out: acknowledged
    # Ticked boxes, and an off-site "next" that is ignored.
    both = editor.post(
        "/alerts/acknowledge",
        data={
            "ids": [str(i) for i in corpus.alert_ids],
            "csrf_token": editor.csrf,
            "next": "//evil.example/",
        },
    )
    assert both.headers["location"] == "/alerts?acked=2"
    first = alert_store.alerts_by_id(web_app.store, corpus.alert_ids)[corpus.alert_ids[0]]
    assert first.acknowledged_by == editor.credentials.username  # type: ignore[union-attr]  # the first one kept


def test_acknowledging_needs_editor_and_csrf(
    corpus: Corpus, web_app: App, client: Callable[..., WebClient]
) -> None:
    viewer = client("viewer")
    assert (
        viewer.post(
            "/alerts/acknowledge", data={"one": str(corpus.alert_ids[0]), "csrf_token": viewer.csrf}
        ).status_code
        == 403
    )
    editor = client("editor")
    assert editor.post("/alerts/acknowledge", data={"one": str(corpus.alert_ids[0])}).status_code == 403
    assert editor.post("/api/v1/alerts/acknowledge", json={"ids": corpus.alert_ids}).status_code == 403
    assert all(
        a.acknowledged_at is None for a in alert_store.alerts_by_id(web_app.store, corpus.alert_ids).values()
    )


def test_api_acknowledge_with_a_token(corpus: Corpus, web_app: App, client: Callable[..., WebClient]) -> None:
    editor = client("editor")
    assert editor.credentials is not None
    account = auth.check_password(web_app.store, editor.credentials.username, editor.credentials.password)
    assert account is not None
    token, _ = auth.create_api_token(web_app.store, account, "bot")
    answer = editor.post(
        "/api/v1/alerts/acknowledge",
        json={"ids": [corpus.alert_ids[1], 999999]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200 and answer.json() == {"acknowledged": [corpus.alert_ids[1]]}
    open_ = editor.get("/api/v1/alerts", params={"acknowledged": "no"}).json()
    assert [a["id"] for a in open_["alerts"]] == [corpus.alert_ids[0]] and open_["unacknowledged"] == 1
    assert (
        editor.post(
            "/api/v1/alerts/acknowledge", json={"ids": []}, headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 422
    )

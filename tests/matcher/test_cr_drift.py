"""A CR that affects a mapped clause is drift once it is agreed or approved, and only once."""

from __future__ import annotations

import shutil
from pathlib import Path

from config import load_settings
from crawlers.items import Section, StandardDocument
from index import matches as records
from matcher.claimmap import loads
from matcher.runner import cr_drift
from sepwatch.app import App
from sepwatch.importing import import_paths
from tests.conftest import realdata

MAP = """\
patent: EP3456789A1
claims:
  - number: 1
    text: A method wherein a RedCap UE provides a RedCap indication during random access.
    features:
      - id: 1A
        text: a RedCap UE provides a RedCap indication during random access
        maps_to: [{spec: "3GPP TS 23.501", clause: "5.41"}]
"""


def test_agreed_cr_on_a_mapped_clause_is_drift(settings_env: dict[str, str], tmp_path: Path) -> None:
    cm = loads(MAP, "ep3456789.yaml")
    cr = tmp_path / "CR_S2-2209002_23501_Correction_RedCap.docx"
    shutil.copy(realdata("3gpp", cr.name), cr)
    with App.open(load_settings(None, env=settings_env)) as app:
        assert import_paths(app, [cr]).ok
        assert cr_drift(app.store, [cm]) == []  # not agreed yet: no drift
        # The TDoc list of the meeting says the CR was agreed (metadata merges onto the CR).
        app.store.ingest(
            StandardDocument(
                source="3gpp",
                number="S2-2209002",
                kind="tdoc",
                title="Correction of reference for RedCap indication from UE",
                sections=[Section(None, None, "Correction of reference for RedCap indication from UE")],
                metadata={"status": "agreed", "clauses_affected": "5.41"},
                partial=True,
            )
        )
        (drift_id,) = cr_drift(app.store, [cm])
        assert cr_drift(app.store, [cm]) == []  # recorded once
        (event,) = records.drift_events(app.store)
        assert event.id == drift_id
        assert (event.kind, event.clause, event.feature, event.details["tdoc"]) == (
            "cr",
            "5.41",
            "1A",
            "S2-2209002",
        )
        assert "NR RedCap" in event.diff  # the CR's own text of clause 5.41

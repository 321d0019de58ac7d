"""The Elasticsearch backend without a server: schema, query translation, bulk policy, alias plan, snippets.

The contract suite (test_search_contract.py) runs the backend against a real server when
SEPWATCH_TEST_ES_URL is set; these tests pin down the parts that are pure functions of their input.
Bulk responses are the shapes Elasticsearch documents (docs/reference/docs/bulk.asciidoc, the
"rejected requests" troubleshooting page) and the ones the client's own helper derives from them.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest

pytest.importorskip("elasticsearch", reason="the elasticsearch client is not installed")

from elastic_transport import ApiResponseMeta, ConnectionError, ConnectionTimeout, HttpHeaders, NodeConfig
from elasticsearch import ApiError, BadRequestError
from elasticsearch.helpers.actions import (
    _process_bulk_chunk_error,
    _process_bulk_chunk_success,
)

from index.search.analysis import match_spans, parse_query, snippet
from index.search.base import (
    FACET_FIELDS,
    IndexSection,
    IndexUnavailable,
    IndexVersion,
    QueryError,
    SearchError,
    SearchFilters,
    SearchQuery,
)
from index.search.elasticsearch import (
    MAPPING_VERSION,
    BulkFailure,
    ElasticsearchIndex,
    LatestTracker,
    alias_switch_actions,
    backoff_delay,
    browse_request,
    filter_clauses,
    generation_name,
    index_definition,
    latest_flags,
    parse_browse_response,
    parse_generation,
    parse_search_response,
    redact_url,
    retry_plan,
    search_request,
    snippet_from_highlight,
    term_query,
    text_query,
    translate_error,
    version_actions,
    version_of_doc_id,
)

# --- schema ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return index_definition()


def test_analysers_are_built_in_components_english_stemmed_and_cjk_bigrams(
    definition: dict[str, Any],
) -> None:
    analysis = definition["settings"]["analysis"]
    assert analysis["analyzer"] == {
        "sepwatch_english": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["cjk_width", "lowercase", "asciifolding", "sepwatch_possessive", "porter_stem"],
        },
        "sepwatch_cjk": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["cjk_width", "lowercase", "asciifolding", "sepwatch_cjk_bigrams"],
        },
        "sepwatch_cjk_search": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["cjk_width", "lowercase", "asciifolding", "cjk_bigram"],
        },
    }
    assert analysis["filter"] == {
        "sepwatch_possessive": {"type": "stemmer", "language": "possessive_english"},
        "sepwatch_cjk_bigrams": {"type": "cjk_bigram", "output_unigrams": True},
    }
    assert definition["settings"]["number_of_shards"] == 1


def test_every_filter_is_a_keyword_and_the_numbers_are_numeric(definition: dict[str, Any]) -> None:
    props = definition["mappings"]["properties"]
    for name in (*FACET_FIELDS, "number", "record"):
        assert props[name] == {"type": "keyword"}, name
    assert props["date"] == {"type": "date", "format": "strict_date"}
    assert {
        name: props[name]["type"] for name in ("version_id", "document_id", "seq", "stamp")
    } == dict.fromkeys(("version_id", "document_id", "seq", "stamp"), "long")
    assert props["ord"] == {"type": "integer"}
    assert props["latest"] == {"type": "boolean"}
    for stored_only in ("title", "label", "section_number", "section_heading"):
        assert props[stored_only] == {"type": "keyword", "index": False, "doc_values": False}


def test_heading_and_text_have_a_cjk_sub_field_and_text_keeps_offsets(definition: dict[str, Any]) -> None:
    props = definition["mappings"]["properties"]
    cjk = {"type": "text", "analyzer": "sepwatch_cjk", "search_analyzer": "sepwatch_cjk_search"}
    assert props["heading"] == {"type": "text", "analyzer": "sepwatch_english", "fields": {"cjk": cjk}}
    assert props["text"] == {
        "type": "text",
        "analyzer": "sepwatch_english",
        "index_options": "offsets",
        "fields": {"cjk": {**cjk, "index_options": "offsets"}},
    }


def test_mapping_is_strict_and_carries_its_version(definition: dict[str, Any]) -> None:
    mappings = definition["mappings"]
    assert mappings["dynamic"] == "strict"
    assert mappings["_meta"] == {"sepwatch": {"mapping_version": MAPPING_VERSION}}


# --- alias switch ------------------------------------------------------------------------------------


def test_generation_names_round_trip_and_foreign_names_are_not_generations() -> None:
    assert generation_name("sepwatch", 7) == "sepwatch-sections-v7"
    assert parse_generation("sepwatch", "sepwatch-sections-v7") == 7
    assert parse_generation("sepwatch", "sepwatch-sections-v12") == 12
    for other in ("sepwatch-sections", "sepwatch-sections-v", "sepwatch-sections-v0", "sepwatch-sections-v1x",
                  "other-sections-v1", "sepwatch-sections-v1-old", "sepwatch.x-sections-v1"):  # fmt: skip
        assert parse_generation("sepwatch", other) is None, other
    # A prefix with regex metacharacters matches only itself.
    assert parse_generation("a.b", "a.b-sections-v3") == 3
    assert parse_generation("a.b", "axb-sections-v3") is None


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ([], [{"add": {"index": "sw-sections-v1", "alias": "sw-sections"}}]),
        (
            ["sw-sections-v3"],
            [
                {"add": {"index": "sw-sections-v4", "alias": "sw-sections"}},
                {"remove_index": {"index": "sw-sections-v3"}},
            ],
        ),
        (  # a concrete index holding the alias's name is deleted in the same atomic call
            ["sw-sections"],
            [
                {"add": {"index": "sw-sections-v1", "alias": "sw-sections"}},
                {"remove_index": {"index": "sw-sections"}},
            ],
        ),
        (  # an alias that somehow points at several indices ends up on the new one only
            ["sw-sections-v2", "sw-sections-v1", "sw-sections-v2"],
            [
                {"add": {"index": "sw-sections-v3", "alias": "sw-sections"}},
                {"remove_index": {"index": "sw-sections-v1"}},
                {"remove_index": {"index": "sw-sections-v2"}},
            ],
        ),
    ],
)
def test_alias_switch_adds_the_new_generation_and_deletes_the_old_in_one_call(
    old: list[str], expected: list[dict[str, Any]]
) -> None:
    new = expected[0]["add"]["index"]
    assert alias_switch_actions("sw-sections", new, old) == expected


def test_alias_switch_never_deletes_the_index_it_moves_to() -> None:
    assert alias_switch_actions("a", "a-sections-v2", ["a-sections-v2"]) == [
        {"add": {"index": "a-sections-v2", "alias": "a"}}
    ]


# --- documents and latest flags -----------------------------------------------------------------------


def _version(
    vid: int, doc: int, seq: int, *sections: tuple[str | None, str | None, str], **facets: Any
) -> IndexVersion:
    fields: dict[str, Any] = {
        "source": "3gpp_tdocs", "number": f"R2-25{vid:05d}", "kind": "tdoc", "title": "Paging cause", "body": "3GPP",
        "group": "RAN2", "meeting": "RAN2#130", "release": "Rel-19", "spec": "TS 38.331",
        "date": dt.date(2025, 5, 19), "label": "v1",
    }  # fmt: skip
    fields.update(facets)
    return IndexVersion(
        version_id=vid,
        document_id=doc,
        seq=seq,
        sections=[
            IndexSection(i, number, heading, text) for i, (number, heading, text) in enumerate(sections)
        ],
        **fields,
    )


def test_a_version_becomes_its_record_and_one_document_per_section() -> None:
    v = _version(42, 7, 3, ("5.3.1", "Paging", "The UE shall ..."), (None, None, "Annex text"))
    actions = version_actions(v, index="sw-sections", latest=True, stamp=99)
    assert [(a["_op_type"], a["_index"], a["_id"]) for a in actions] == [
        ("index", "sw-sections", "v42"),
        ("index", "sw-sections", "v42s0"),
        ("index", "sw-sections", "v42s1"),
    ]
    facets = {
        "version_id": 42, "document_id": 7, "seq": 3, "latest": True, "stamp": 99, "source": "3gpp_tdocs",
        "number": "R2-2500042", "kind": "tdoc", "title": "Paging cause", "body": "3GPP", "group": "RAN2",
        "meeting": "RAN2#130", "release": "Rel-19", "spec": "TS 38.331", "date": "2025-05-19", "label": "v1",
    }  # fmt: skip
    assert actions[0]["_source"] == {**facets, "record": "version", "sections": 2}
    assert actions[1]["_source"] == {
        **facets, "record": "section", "ord": 0, "section_number": "5.3.1", "section_heading": "Paging",
        "heading": "5.3.1 Paging", "text": "The UE shall ...",
    }  # fmt: skip
    assert actions[2]["_source"]["heading"] is None
    assert actions[2]["_source"]["section_number"] is None


def test_document_ids_name_their_version() -> None:
    assert [version_of_doc_id(i) for i in ("v42", "v42s0", "v42s-1", "v7s12", "x42", "v", "42")] == [
        42, 42, 42, 7, None, None, None
    ]  # fmt: skip


def test_a_version_without_date_or_sections_is_one_record() -> None:
    [action] = version_actions(_version(1, 1, 1, date=None, group=None), index="i", latest=False, stamp=1)
    assert action["_source"]["date"] is None and action["_source"]["group"] is None
    assert action["_source"]["sections"] == 0 and action["_source"]["latest"] is False


@pytest.mark.parametrize(
    ("existing", "added", "expected"),
    [
        ({}, [(1, 9, 1)], {1: True}),
        ({1: (9, 1)}, [(2, 9, 2)], {1: False, 2: True}),  # a newer version demotes the old one
        ({2: (9, 2)}, [(1, 9, 1)], {1: False, 2: True}),  # an older one arriving late stays behind
        ({1: (9, 1)}, [(1, 9, 1)], {1: True}),  # adding again changes nothing
        ({1: (9, 1), 2: (9, 2)}, [(2, 9, 0)], {1: True, 2: False}),  # a re-added version can move back
        ({1: (9, 3)}, [(2, 9, 3)], {1: True, 2: True}),  # ties are all latest, as in the embedded index
        ({1: (8, 5)}, [(2, 9, 1)], {1: True, 2: True}),  # documents do not affect each other
    ],
)
def test_latest_flags_follow_the_highest_seq_of_each_document(
    existing: dict[int, tuple[int, int]], added: list[tuple[int, int, int]], expected: dict[int, bool]
) -> None:
    versions = [_version(vid, doc, seq) for vid, doc, seq in added]
    assert latest_flags(existing, versions) == expected


def test_after_a_removal_the_next_newest_version_is_latest_again() -> None:
    remaining = {1: (9, 1), 3: (9, 2), 4: (5, 1)}  # version 2 (seq 3 of document 9) was removed
    assert latest_flags(remaining) == {1: False, 3: True, 4: True}


def test_the_rebuild_tracker_looks_one_batch_ahead_before_flagging() -> None:
    tracker = LatestTracker()
    b1 = [_version(1, 9, 1), _version(2, 8, 4), _version(3, 9, 1)]
    b2 = [_version(4, 9, 2), _version(5, 8, 3)]
    b3 = [_version(6, 9, 2)]
    tracker.register(b1)
    tracker.register(b2)
    # Version 4 (seq 2) arrived in the look-ahead: 1 and 3 are written as not latest straight away.
    assert tracker.flags(b1) == {1: False, 2: True, 3: False}
    tracker.register(b3)
    assert tracker.flags(b2) == {4: True, 5: False}
    tracker.register([])
    assert tracker.flags(b3) == {6: True}  # the same seq as 4: both latest, as in the embedded index
    assert tracker.demoted() == set()


def test_versions_superseded_beyond_the_look_ahead_are_demoted_at_the_end() -> None:
    tracker = LatestTracker()
    batches = [[_version(1, 9, 1)], [_version(2, 7, 1)], [_version(3, 9, 2)], []]
    written: dict[int, bool] = {}
    pending: list[IndexVersion] = []
    for batch in batches:
        tracker.register(batch)
        written |= tracker.flags(pending)
        pending = batch
    assert written == {1: True, 2: True, 3: True}
    assert tracker.demoted() == {1}


# --- bulk retry policy ----------------------------------------------------------------------------------

# docs/reference/docs/bulk.asciidoc, "The API returns the following result" (errors: false).
DOCS_BULK_OK: dict[str, Any] = {
    "took": 30,
    "errors": False,
    "items": [
        {"index": {"_index": "test", "_id": "1", "_version": 1, "result": "created",
                   "_shards": {"total": 2, "successful": 1, "failed": 0}, "status": 201, "_seq_no": 0,
                   "_primary_term": 1}},
        {"delete": {"_index": "test", "_id": "2", "_version": 1, "result": "not_found",
                    "_shards": {"total": 2, "successful": 1, "failed": 0}, "status": 404, "_seq_no": 1,
                    "_primary_term": 2}},
        {"create": {"_index": "test", "_id": "3", "_version": 1, "result": "created",
                    "_shards": {"total": 2, "successful": 1, "failed": 0}, "status": 201, "_seq_no": 2,
                    "_primary_term": 3}},
        {"update": {"_index": "test", "_id": "1", "_version": 2, "result": "updated",
                    "_shards": {"total": 2, "successful": 1, "failed": 0}, "status": 200, "_seq_no": 3,
                    "_primary_term": 4}},
    ],
}  # fmt: skip

# bulk.asciidoc, "Example with failed actions".
DOCS_BULK_FAILED: dict[str, Any] = {
    "took": 486,
    "errors": True,
    "items": [
        {"update": {"_index": "index1", "_id": "5", "status": 404,
                    "error": {"type": "document_missing_exception", "reason": "[5]: document missing",
                              "index_uuid": "aAsFqTI0Tc2W0LCWgPNrOA", "shard": "0", "index": "index1"}}},
        {"update": {"_index": "index1", "_id": "6", "status": 404,
                    "error": {"type": "document_missing_exception", "reason": "[6]: document missing",
                              "index_uuid": "aAsFqTI0Tc2W0LCWgPNrOA", "shard": "0", "index": "index1"}}},
        {"create": {"_index": "index1", "_id": "7", "_version": 1, "result": "created",
                    "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1,
                    "status": 201}},
    ],
}  # fmt: skip

# A write thread pool rejection (troubleshoot/elasticsearch/rejected-requests), a primary that is not
# active, and a document the mapping refuses, as items of one bulk response.
MIXED_BULK: dict[str, Any] = {
    "took": 12,
    "errors": True,
    "items": [
        {"index": {"_index": "sw-sections-v1", "_id": "v1", "_version": 1, "result": "created", "status": 201,
                   "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": 0, "_primary_term": 1}},
        {"index": {"_index": "sw-sections-v1", "_id": "v1s0", "status": 429,
                   "error": {"type": "es_rejected_execution_exception",
                             "reason": "rejected execution of coordinating operation [coordinating_and_primary_bytes=104759862, replica_bytes=0, all_bytes=104759862, coordinating_operation_bytes=20862272, max_coordinating_and_primary_bytes=107374182]"}}},
        {"index": {"_index": "sw-sections-v1", "_id": "v1s1", "status": 503,
                   "error": {"type": "unavailable_shards_exception",
                             "reason": "[sw-sections-v1][0] primary shard is not active Timeout: [1m]"}}},
        {"index": {"_index": "sw-sections-v1", "_id": "v2", "status": 400,
                   "error": {"type": "document_parsing_exception",
                             "reason": "[1:92] failed to parse field [date] of type [date] in document with id 'v2'",
                             "caused_by": {"type": "illegal_argument_exception",
                                           "reason": "failed to parse date field [2025-13-45] with format [strict_date]"}}}},
        {"index": {"_index": "sw-sections-v1", "_id": "v2s0", "status": 404,
                   "error": {"type": "index_not_found_exception",
                             "reason": "no such index [sw-sections] and [require_alias] request flag is [true] and [sw-sections] is not an alias",
                             "index": "sw-sections"}}},
    ],
}  # fmt: skip


def test_a_clean_bulk_response_needs_nothing_and_a_delete_that_found_nothing_is_fine() -> None:
    assert retry_plan(DOCS_BULK_OK["items"]) == ([], [])


def test_refused_items_are_dead_letters_with_the_reason() -> None:
    retry, dead = retry_plan(DOCS_BULK_FAILED["items"])
    assert retry == []
    assert dead == [
        BulkFailure("5", "update", 404, "document_missing_exception: [5]: document missing"),
        BulkFailure("6", "update", 404, "document_missing_exception: [6]: document missing"),
    ]


def test_throttled_and_unavailable_items_are_retried_the_rest_are_dead_letters() -> None:
    retry, dead = retry_plan(MIXED_BULK["items"])
    assert [(f.id, f.status) for f in retry] == [("v1s0", 429), ("v1s1", 503)]
    assert retry[0].error.startswith("es_rejected_execution_exception: rejected execution of coordinating")
    assert dead == [
        BulkFailure(
            "v2",
            "index",
            400,
            "document_parsing_exception: [1:92] failed to parse field [date] of type [date] in document with "
            "id 'v2': failed to parse date field [2025-13-45] with format [strict_date]",
        ),
        BulkFailure(
            "v2s0",
            "index",
            404,
            "index_not_found_exception: no such index [sw-sections] and [require_alias] request flag is [true] "
            "and [sw-sections] is not an alias",
        ),
    ]


BulkData = list[tuple[dict[str, Any]] | tuple[dict[str, Any], bytes | dict[str, Any] | None]]


def _bulk_data(*ids: str) -> BulkData:
    """Action/source pairs of a chunk, as ``streaming_bulk`` hands them to its chunk processing."""
    return [({"index": {"_index": "sw-sections-v1", "_id": i}}, {"record": "version"}) for i in ids]


def test_items_as_the_clients_streaming_bulk_yields_them_from_a_partly_failed_chunk() -> None:
    """``streaming_bulk(raise_on_error=False)`` hands over the failed items of each chunk, never stopping."""
    yielded = list(
        _process_bulk_chunk_success(
            MIXED_BULK, _bulk_data("v1", "v1s0", "v1s1", "v2", "v2s0"), ignore_status=(), raise_on_error=False
        )
    )
    assert [ok for ok, _item in yielded] == [True, False, False, False, False]
    retry, dead = retry_plan(item for ok, item in yielded if not ok)
    assert [f.id for f in retry] == ["v1s0", "v1s1"]
    assert [f.id for f in dead] == ["v2", "v2s0"]


def _api_error(cls: type[ApiError], status: int, body: Any) -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.01,
        node=NodeConfig("http", "es", 9200),
    )
    message = (
        body["error"]["type"] if isinstance(body, dict) and isinstance(body.get("error"), dict) else str(body)
    )
    return cls(message=message, meta=meta, body=body)


REJECTED_REQUEST = {
    "error": {
        "root_cause": [
            {
                "type": "es_rejected_execution_exception",
                "reason": "rejected execution of coordinating operation",
            }
        ],
        "type": "es_rejected_execution_exception",
        "reason": "rejected execution of coordinating operation",
    },
    "status": 429,
}


@pytest.mark.parametrize(("status", "retried"), [(429, True), (503, True), (413, False)])
def test_a_whole_chunk_refused_fails_each_of_its_items_with_the_requests_status(
    status: int, retried: bool
) -> None:
    error = _api_error(ApiError, status, REJECTED_REQUEST)
    yielded = list(
        _process_bulk_chunk_error(
            error, _bulk_data("v7", "v7s0"), ignore_status=(), raise_on_exception=False, raise_on_error=False
        )
    )
    retry, dead = retry_plan(item for _ok, item in yielded)
    assert [f.id for f in (retry if retried else dead)] == ["v7", "v7s0"]
    assert not (dead if retried else retry)
    assert {f.status for f in retry + dead} == {status}


def test_an_item_without_status_is_a_dead_letter() -> None:
    assert retry_plan([{"index": {"_id": "x", "error": "broken"}}]) == (
        [],
        [BulkFailure("x", "index", 500, "broken")],
    )


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, 0.5, 6.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]
    assert backoff_delay(0) == 1.0


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ConnectionError("Connection refused"), IndexUnavailable),
        (ConnectionTimeout("timed out after 30s"), IndexUnavailable),
        (_api_error(ApiError, 429, REJECTED_REQUEST), IndexUnavailable),
        (_api_error(ApiError, 503, {"error": {"type": "cluster_block_exception", "reason": "blocked"}}), IndexUnavailable),
        (_api_error(ApiError, 401, {"error": {"type": "security_exception", "reason": "unable to authenticate"}}), IndexUnavailable),
        (_api_error(BadRequestError, 400, {"error": {"root_cause": [{"type": "illegal_argument_exception", "reason": "bad"}], "type": "illegal_argument_exception", "reason": "bad"}}), SearchError),
    ],
)  # fmt: skip
def test_client_errors_become_the_contracts_errors(error: Exception, kind: type[SearchError]) -> None:
    translated = translate_error(error, "http://es:9200", "add versions")
    assert type(translated) is kind
    assert str(translated).startswith("Elasticsearch at http://es:9200: add versions: ")


def test_the_reason_comes_from_the_root_cause() -> None:
    body = {
        "error": {
            "root_cause": [
                {"type": "query_shard_exception", "reason": "failed to create query: too many clauses"}
            ],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
        },
        "status": 400,
    }
    message = str(translate_error(_api_error(BadRequestError, 400, body), "h", "search"))
    assert (
        message
        == "Elasticsearch at h: search: HTTP 400: query_shard_exception: failed to create query: too many clauses"
    )


def test_credentials_never_appear_in_messages() -> None:
    assert (
        redact_url("https://sepwatch:s3cret@es.example.org:9243/prefix")
        == "https://es.example.org:9243/prefix"
    )
    assert redact_url("http://localhost:9200") == "http://localhost:9200"
    ix = ElasticsearchIndex("https://sepwatch:s3cret@es.example.org:9243")
    assert "s3cret" not in ix.where
    ix.close()


# --- query translation ------------------------------------------------------------------------------------


def _term(query: str) -> dict[str, Any]:
    [[term]] = parse_query(query).groups
    return term_query(term)


ENGLISH = {"type": "phrase", "fields": ["heading^3", "text"], "tie_breaker": 1.0}
CJK = {"type": "phrase", "fields": ["heading.cjk^3", "text.cjk"], "tie_breaker": 1.0}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Configuration", {"multi_match": {"query": "Configuration", **ENGLISH}}),
        ('"base station"', {"multi_match": {"query": "base station", **ENGLISH}}),
        ("R1-2506700", {"multi_match": {"query": "R1-2506700", **ENGLISH}}),
        ("38.331", {"multi_match": {"query": "38.331", **ENGLISH}}),
        ("ＲＲＣ", {"multi_match": {"query": "RRC", **ENGLISH}}),  # NFKC folds full-width
        ("专利", {"multi_match": {"query": "专利", **CJK}}),
        ("标准必要专利", {"multi_match": {"query": "标准必要专利", **CJK}}),
        ("审", {"multi_match": {"query": "审", **CJK}}),
        ("专利*", {"multi_match": {"query": "专利", **CJK}}),
        (
            "stat*",
            {"bool": {"should": [{"prefix": {"heading.cjk": {"value": "stat", "boost": 3.0}}},
                                 {"prefix": {"text.cjk": {"value": "stat"}}}], "minimum_should_match": 1}},
        ),
        (
            "Réseau*",
            {"bool": {"should": [{"prefix": {"heading.cjk": {"value": "reseau", "boost": 3.0}}},
                                 {"prefix": {"text.cjk": {"value": "reseau"}}}], "minimum_should_match": 1}},
        ),
        (
            "R1-25*",
            {"multi_match": {"query": "R1-25", "type": "phrase_prefix", "fields": ["heading.cjk^3", "text.cjk"],
                             "tie_breaker": 1.0, "max_expansions": 1024}},
        ),
    ],
)  # fmt: skip
def test_terms_translate_to_phrases_prefixes_and_bigram_phrases(query: str, expected: dict[str, Any]) -> None:
    assert _term(query) == expected


def _intervals(*rules: dict[str, Any]) -> dict[str, Any]:
    source = {"all_of": {"ordered": True, "max_gaps": 0, "intervals": list(rules)}}
    return {
        "bool": {
            "should": [
                {"bool": {"must": [{"intervals": {"heading.cjk": source}}], "boost": 3.0}},
                {"intervals": {"text.cjk": source}},
            ],
            "minimum_should_match": 1,
        }
    }


def _match(text: str) -> dict[str, Any]:
    return {"match": {"query": text, "ordered": True, "max_gaps": 0}}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("5G专利", _intervals(_match("5G"), _match("专利"))),
        # A run followed by more of the term needs its last character: its bigram covers one position.
        ('"专利 5G"', _intervals(_match("专利"), {"match": {"query": "利"}}, _match(" 5G"))),
        ("UE侧", _intervals(_match("UE"), _match("侧"))),
        ("ＵＥ侧", _intervals(_match("UE"), _match("侧"))),
        ("38.331专利申请", _intervals(_match("38.331"), _match("专利申请"))),
        ("专利5g*", _intervals(_match("专利"), {"match": {"query": "利"}}, {"prefix": {"prefix": "5g"}})),
        ("专利R1-25*", _intervals(_match("专利"), {"match": {"query": "利"}}, _match("R1-"), {"prefix": {"prefix": "25"}})),
    ],
)  # fmt: skip
def test_cjk_mixed_with_other_tokens_is_an_ordered_gapless_intervals_query(
    query: str, expected: dict[str, Any]
) -> None:
    assert _term(query) == expected


def test_words_are_and_or_separates_alternatives_and_not_excludes() -> None:
    query = text_query(parse_query("paging cause OR 专利 -draft NOT rejected"))
    assert query == {
        "bool": {
            "should": [
                {"bool": {"must": [_term("paging"), _term("cause")]}},
                {"bool": {"must": [_term("专利")], "must_not": [_term("draft"), _term("rejected")]}},
            ],
            "minimum_should_match": 1,
        }
    }
    assert text_query(parse_query("paging")) == {"bool": {"must": [_term("paging")]}}


def test_filters_are_terms_and_ranges_in_filter_context() -> None:
    query = SearchQuery(
        "x",
        filters=SearchFilters(
            source=("3gpp_tdocs",),
            group=("RAN1", "quic"),
            date_from=dt.date(2025, 1, 1),
            date_to=dt.date(2025, 6, 1),
        ),
    )
    assert filter_clauses(query, "section") == [
        {"term": {"record": "section"}},
        {"term": {"latest": True}},
        {"terms": {"source": ["3gpp_tdocs"]}},
        {"terms": {"group": ["RAN1", "quic"]}},
        {"range": {"date": {"gte": "2025-01-01", "lte": "2025-06-01", "format": "strict_date"}}},
    ]
    every = SearchQuery("x", all_versions=True, filters=SearchFilters(date_to=dt.date(2024, 3, 1)))
    assert filter_clauses(every, "version") == [
        {"term": {"record": "version"}},
        {"range": {"date": {"lte": "2024-03-01", "format": "strict_date"}}},
    ]


def test_a_search_collapses_sections_to_versions_with_highlighted_best_sections() -> None:
    query = SearchQuery("paging", limit=10, offset=20, sections_per_hit=2, facets=True)
    request = search_request(parse_query(query.text), query)
    assert request["query"] == {
        "bool": {"filter": filter_clauses(query, "section"), "must": [{"bool": {"must": [_term("paging")]}}]}
    }
    assert request["collapse"]["field"] == "version_id"
    inner = request["collapse"]["inner_hits"]
    assert (inner["name"], inner["size"]) == ("sections", 2)
    assert inner["_source"] == {"includes": ["ord", "section_number", "section_heading", "text"]}
    assert inner["highlight"] == {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "fields": {"text": {"matched_fields": ["text.cjk"], "number_of_fragments": 0}},
        "max_analyzed_offset": 1_000_000,
    }
    assert (request["from_"], request["size"]) == (20, 10)
    assert request["sort"] == [{"_score": "desc"}, {"version_id": "desc"}]
    assert request["track_scores"] is True
    # The total counts versions (groups), not sections.
    assert request["aggs"]["versions"] == {
        "cardinality": {"field": "version_id", "precision_threshold": 40_000}
    }
    assert set(request["aggs"]) == {"versions", *FACET_FIELDS}


def test_facets_are_terms_aggregations_counting_distinct_documents() -> None:
    query = SearchQuery("paging", facets=True)
    aggs = search_request(parse_query(query.text), query)["aggs"]
    assert aggs["group"] == {
        "terms": {"field": "group", "size": 50, "order": [{"documents": "desc"}, {"_key": "asc"}]},
        "aggs": {"documents": {"cardinality": {"field": "document_id", "precision_threshold": 40_000}}},
    }
    assert set(search_request(parse_query("x"), SearchQuery("x"))["aggs"]) == {"versions"}


def test_date_sort_puts_undated_last_and_keeps_scores() -> None:
    request = search_request(parse_query("paging"), SearchQuery("paging", sort="date"))
    assert request["sort"] == [
        {"date": {"order": "desc", "missing": "_last"}},
        {"_score": "desc"},
        {"version_id": "desc"},
    ]


@pytest.mark.parametrize(
    ("offset", "limit", "window"),
    [
        (0, 10, (0, 10)),
        (9_995, 10, (9_995, 5)),
        (10_000, 10, (0, 0)),
        (50_000, 10, (0, 0)),
        (-5, 10, (0, 10)),
    ],
)
def test_pages_stay_inside_the_result_window(offset: int, limit: int, window: tuple[int, int]) -> None:
    request = search_request(parse_query("x"), SearchQuery("x", offset=offset, limit=limit))
    assert (request["from_"], request["size"]) == window
    # An empty page still counts the total; it needs neither collapsing nor sorting.
    assert ("collapse" in request, "sort" in request) == (window[1] > 0, window[1] > 0)
    assert "versions" in request["aggs"]


def test_sections_per_hit_is_at_least_one_and_at_most_the_inner_hits_window() -> None:
    def size(n: int) -> int:
        return int(
            search_request(parse_query("x"), SearchQuery("x", sections_per_hit=n))["collapse"]["inner_hits"][
                "size"
            ]
        )

    assert [size(0), size(3), size(500)] == [1, 3, 100]


def test_browsing_lists_version_records_newest_first_with_exact_totals() -> None:
    query = SearchQuery("", filters=SearchFilters(body=("IETF",)), facets=True, limit=5)
    request = browse_request(query)
    assert request["query"] == {
        "bool": {
            "filter": [
                {"term": {"record": "version"}},
                {"term": {"latest": True}},
                {"terms": {"body": ["IETF"]}},
            ]
        }
    }
    assert request["sort"] == [{"date": {"order": "desc", "missing": "_last"}}, {"version_id": "desc"}]
    assert request["track_total_hits"] is True
    assert set(request["aggs"]) == set(FACET_FIELDS)
    assert "aggs" not in browse_request(SearchQuery(""))


def test_empty_and_oversized_queries_fail_before_any_request() -> None:
    ix = ElasticsearchIndex("http://127.0.0.1:9")  # never contacted: the query is refused first
    for text in ("NOT plain", '""', "-", "--x"):
        with pytest.raises(QueryError, match=r"^nothing to search for in"):
            ix.search(SearchQuery(text))
    with pytest.raises(QueryError, match="too many terms in the query"):
        ix.search(SearchQuery("alpha " + " ".join(f"-word{i}" for i in range(300))))
    ix.close()


def test_the_index_prefix_must_be_a_valid_index_name() -> None:
    for bad in ("", "Sepwatch", "-x", "a b", "a/b", "a*"):
        with pytest.raises(ValueError, match="index prefix"):
            ElasticsearchIndex("http://127.0.0.1:9", prefix=bad)
    ix = ElasticsearchIndex("http://127.0.0.1:9", prefix="team-a.sepwatch")
    assert ix.alias == "team-a.sepwatch-sections"
    ix.close()


# --- snippets ------------------------------------------------------------------------------------------------


def lucene_html_encode(text: str) -> str:
    """What ES's ``encoder: html`` does to text (Lucene SimpleHTMLEncoder): " & < > ' and / escaped."""
    table = {'"': "&quot;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#x27;", "/": "&#x2F;"}
    return "".join(table.get(c, c) for c in text)


def es_highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """The whole-field highlight ES returns for ``text`` with ``spans`` matched (number_of_fragments 0)."""
    out, pos = [], 0
    for s, e in spans:
        out += [lucene_html_encode(text[pos:s]), "<mark>", lucene_html_encode(text[s:e]), "</mark>"]
        pos = e
    out.append(lucene_html_encode(text[pos:]))
    return "".join(out)


XSS = 'Title <script>alert("x")</script> & <b>bold</b> 专利<img src=x onerror=alert(1)>'
LONG = "filler " * 400 + "the needle is here" + " filler" * 400


@pytest.mark.parametrize(
    ("text", "query"),
    [
        (XSS, "script OR bold OR 专利"),
        (LONG, "needle"),
        ("The UE sends a Message to the base station.", '"base station"'),
        (
            "It's the UE's <choice> of 'RRC' / \"NAS\" & more " * 30 + "paging " + "tail " * 100,
            "paging OR rrc",
        ),
        ("no match in this section at all " * 20, "absent"),
    ],
)
def test_snippets_from_es_highlights_equal_the_embedded_backends(text: str, query: str) -> None:
    terms = parse_query(query).positive_terms
    fragment = es_highlight(text, match_spans(text, terms))
    assert snippet_from_highlight(fragment) == snippet(text, terms)


def test_snippet_escapes_then_highlights_as_the_contract_asserts() -> None:
    spans = [(XSS.index("script"), XSS.index("script") + 6), (XSS.index("bold"), XSS.index("bold") + 4),
             (XSS.index("专利"), XSS.index("专利") + 2)]  # fmt: skip
    snip = snippet_from_highlight(es_highlight(XSS, spans))
    assert "&lt;<mark>script</mark>&gt;" in snip
    assert "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;" in snip  # ES's &#x2F; is re-escaped as Python does
    assert "<mark>专利</mark>&lt;img" in snip
    assert "&#x2F;" not in snip and "&amp;" in snip
    stripped = snip.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_adjacent_bigram_marks_merge_and_the_documents_own_mark_tags_stay_text() -> None:
    # 标准必要 matched as the bigrams 标准, 准必, 必要: ES marks them one after another.
    assert (
        snippet_from_highlight("所述<mark>标准</mark><mark>必要</mark>专利")
        == "所述<mark>标准必要</mark>专利"
    )
    assert snippet_from_highlight("&lt;mark&gt;x&lt;&#x2F;mark&gt; <mark>y</mark>") == (
        "&lt;mark&gt;x&lt;/mark&gt; <mark>y</mark>"
    )


def test_a_long_section_is_windowed_around_the_match_with_ellipses() -> None:
    start = LONG.index("needle")
    snip = snippet_from_highlight(es_highlight(LONG, [(start, start + 6)]))
    assert "<mark>needle</mark>" in snip
    assert snip.startswith("…") and snip.endswith("…")
    assert len(snip) < 400


# --- responses ---------------------------------------------------------------------------------------------

# A collapsed search response: hits carry their version's facets, inner_hits "sections" the best
# sections with their whole-text highlight (collapse-search-results.md, retrieve-inner-hits.md).
COLLAPSED_RESPONSE: dict[str, Any] = {
    "took": 5,
    "timed_out": False,
    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {
        "max_score": None,
        "hits": [
            {
                "_index": "sw-sections-v2", "_id": "v11s1", "_score": 2.1,
                "_source": {"version_id": 11, "document_id": 1, "source": "3gpp_tdocs", "number": "R2-2501234",
                            "kind": "tdoc", "title": "Paging cause", "body": "3GPP", "group": "RAN2",
                            "meeting": "RAN2#130", "release": "Rel-19", "spec": "TS 38.331",
                            "date": "2025-05-19", "label": None},
                "fields": {"version_id": [11]},
                "sort": [2.1, 11],
                "inner_hits": {"sections": {"hits": {
                    "total": {"value": 3, "relation": "eq"},
                    "max_score": 2.1,
                    "hits": [
                        {"_index": "sw-sections-v2", "_id": "v11s1", "_score": 2.1,
                         "_source": {"ord": 1, "section_number": "2", "section_heading": "Paging",
                                     "text": "handover & <paging>"},
                         "highlight": {"text": ["handover &amp; &lt;<mark>paging</mark>&gt;"]}},
                        {"_index": "sw-sections-v2", "_id": "v11s0", "_score": 0.4,
                         "_source": {"ord": 0, "section_number": "1", "section_heading": None,
                                     "text": "heading-only match"}},
                    ],
                }}},
            },
            {
                "_index": "sw-sections-v2", "_id": "v12s0", "_score": 0.7,
                "_source": {"version_id": 12, "document_id": 3, "source": "ietf", "number": "draft-x",
                            "kind": "draft", "title": None, "body": "IETF", "group": "quic", "meeting": None,
                            "release": None, "spec": None, "date": None, "label": None},
                "inner_hits": {"sections": {"hits": {
                    "total": {"value": 1, "relation": "eq"},
                    "max_score": 0.7,
                    "hits": [{"_index": "sw-sections-v2", "_id": "v12s0", "_score": 0.7,
                              "_source": {"ord": 0, "section_number": "1", "section_heading": None,
                                          "text": "paging in the IETF sense"},
                              "highlight": {"text": ["<mark>paging</mark> in the IETF sense"]}}],
                }}},
            },
        ],
    },
    "aggregations": {
        "versions": {"value": 27},
        **{name: {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []} for name in FACET_FIELDS},
        "body": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": "3GPP", "doc_count": 14, "documents": {"value": 2}},
            {"key": "IETF", "doc_count": 1, "documents": {"value": 1}},
        ]},
    },
}  # fmt: skip


def test_a_collapsed_response_becomes_document_hits_with_their_best_sections() -> None:
    query = SearchQuery("paging", facets=True)
    result = parse_search_response(COLLAPSED_RESPONSE, query, parse_query("paging"))
    assert result.total == 27
    first, second = result.hits
    assert (first.version_id, first.document_id, first.number, first.score, first.matched_sections) == (
        11, 1, "R2-2501234", 2.1, 3
    )  # fmt: skip
    assert (first.date, first.spec, first.title) == (dt.date(2025, 5, 19), "TS 38.331", "Paging cause")
    assert [(s.ord, s.number, s.heading, s.score) for s in first.sections] == [
        (1, "2", "Paging", 2.1),
        (0, "1", None, 0.4),
    ]
    assert first.sections[0].snippet == "handover &amp; &lt;<mark>paging</mark>&gt;"
    # No highlight in the text (the heading matched): the start of the text, escaped, as the embedded backend.
    assert first.sections[1].snippet == html.escape("heading-only match")
    assert (second.date, second.matched_sections, second.sections[0].snippet) == (
        None, 1, "<mark>paging</mark> in the IETF sense"
    )  # fmt: skip
    assert result.facets["body"] == [("3GPP", 2), ("IETF", 1)]
    assert result.facets["release"] == []
    assert (
        parse_search_response(COLLAPSED_RESPONSE, SearchQuery("paging"), parse_query("paging")).facets == {}
    )


def test_a_browse_response_lists_versions_with_the_exact_total() -> None:
    response = {
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "max_score": None,
            "hits": [
                {"_index": "sw-sections-v2", "_id": "v4", "_score": None, "sort": [1709337600000, 4],
                 "_source": {"version_id": 4, "document_id": 4, "source": "ietf", "number": "DOC-4", "kind": "draft",
                             "title": "Document 4", "body": "IETF", "group": "quic", "meeting": None, "release": None,
                             "spec": None, "date": "2024-03-02", "label": None}},
            ],
        },
        "aggregations": {"group": {"buckets": [{"key": "quic", "doc_count": 2, "documents": {"value": 2}}]}},
    }  # fmt: skip
    result = parse_browse_response(response, SearchQuery("", facets=True))
    assert result.total == 2
    [hit] = result.hits
    assert (hit.number, hit.date, hit.score, hit.matched_sections, hit.sections) == (
        "DOC-4", dt.date(2024, 3, 2), 0.0, 0, []
    )  # fmt: skip
    assert result.facets["group"] == [("quic", 2)] and result.facets["body"] == []

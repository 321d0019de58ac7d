"""EPO OPS XML responses → PatentRecord / PatentEvent: EP Register, INPADOC legal status, family, biblio.

Pure parsers: bytes in, items out, no network. The spider that fetches OPS and the importer that reads
saved responses both call them; :func:`parse_any` sniffs which response a file is.

The XML is parsed by lxml with entities, DTDs and network access off, and any DOCTYPE is refused
before parsing (OPS never sends one; entity expansion and external entity attacks need one).
Elements are matched by namespace URI, never by prefix: OPS writes ``ops:``/``reg:`` in older
responses and generated ``ns2:``/``ns3:`` prefixes in newer ones.

Decisions the callers should know:

* Register events and procedural-step responses do not name the application (the request was by
  publication number, and only ``publication=EP1000000`` comes back in the query). The application
  comes from, in order: the register document's own bibliographic data (when the request asked for
  several constituents), the ``application=`` keyword of the parser, an ``application=`` query.
  When none gives it the events carry ``application=""`` and the queried publication in
  ``publication``, so the pipeline can attach them through the publication.
* Register element ids (``EVT_242405912``, ``RENEWAL_30131407``) change between calls; they are in
  metadata for tracing only and are not keys.
* INPADOC legal events: ``office`` is the authority in the event's ``L001`` "Country Code" — the
  authority whose INPADOC code table defines the code (EP for PG25/PGFP, even though a national
  office reported the lapse or the fee). The state concerned ("Ref Country Code", ``L501``) is in
  ``metadata["ref_country"]``. ``date`` is the effective date when given, else the gazette date.
  The code attribute is right-padded to four characters (``"17Q "``); the padding is dropped.
* ``known`` is judged per kind: procedural-step codes against the step table, register event codes
  against the event table, INPADOC codes against the EP table and only when the authority is EP
  (INPADOC codes are authority-specific). The event text always comes from the XML, never from
  the table; labels the facts sheet marks unverified (IGRA, EXAM, 17P, AK, 26N…) are not invented.
* Dates in metadata are ISO strings (``2017-05-17``); placeholders such as ``00010101`` become None.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from lxml import etree

from crawlers.extract import RejectedInput
from crawlers.items import PatentEvent, PatentRecord
from crawlers.patents.numbers import normalise_application, normalise_publication, office_of

SOURCE = "epo_ops"
NS_OPS = "http://ops.epo.org"
NS_REGISTER = "http://www.epo.org/register"
NS_EXCHANGE = "http://www.epo.org/exchange"

_OPS = f"{{{NS_OPS}}}"
_REG = f"{{{NS_REGISTER}}}"
_EXC = f"{{{NS_EXCHANGE}}}"

HEAD_BYTES = 4096
"""How much of a file :func:`is_ops_xml` needs to decide."""

_PROLOG_LIMIT = 65536

# EP Register procedural-step codes. RFEE from the facts sheet [K35]; the ST.36 list [K34] gives
# the codes without labels, so a label is only the STEP_DESCRIPTION the Register itself prints in
# the real samples (EP1000000, EP2400812), and empty where no sample shows one. IGRA and EXAM
# meanings are UNVERIFIED (FACTS §2.2): IGRA carries the Register's own label, nothing more.
_STEP_CODES: dict[str, str] = {
    "RFEE": "Renewal fee payment",
    "ABEX": "Amendments",
    "ADWI": "",
    "AGRA": "Announcement of grant (old EPC before 1 July 2002)",
    "CORS": "",
    "DEST": "",
    "DOBS": "",
    "EXAM": "",
    "EXAM_PCT": "",
    "EXPT": "Extension of the patent",
    "EXRE": "Communication from the examining division",
    "FFEE": "",
    "IDOP": "",
    "IGRA": "Intention to grant the patent",
    "DDIV": "First communication from the examining division",
    "ISAT": "International searching authority",
    "PROL": "Language of the procedure",
}

# EP Register dossier-event codes with the description the Register prints for them in the real
# events sample (EP1000000). Kept verbatim, inner spaces included ("EPIDOS RFEE").
_REGISTER_EVENT_CODES: dict[str, str] = {
    "0009012": "Publication in section I.1 EP Bulletin",
    "0009084": "Definitive list of designations",
    "0009171": "Request for examination filed",
    "0009185": "First examination report",
    "0009199FREP": "Change - representative",
    "0009210": "(Expected) grant",
    "0009250": "Lapse of the patent in a contracting state",
    "0009261": "No opposition filed within time limit",
    "0009299FREP": "Change - representative",
    "0009299LAPS": "Change - lapse in a contracting state",
    "EPIDOS AGRA": "Communication of intention to grant",
    "EPIDOS EXPT": "Change - extension states",
    "EPIDOS IGRA": "Communication of intention to grant a patent",
    "EPIDOS RFEE": "Renewal fee",
    "EPIDOSDTIPA": "Deletion: Observations by third parties",
    "EPIDOSNTIPA": "New entry: Observations by third parties",
}

# INPADOC legal event codes of the EP authority, from the facts sheet [K19].
_INPADOC_EP_CODES: dict[str, str] = {
    "PG25": "Lapsed in a contracting state",
    "PGFP": "Annual fee paid to a national office",
    "PGRI": "Reinstated",
}

KNOWN_CODES: dict[str, str] = {**_STEP_CODES, **_REGISTER_EVENT_CODES, **_INPADOC_EP_CODES}
"""Every code sepwatch knows from OPS, code → label ("" where the code is known but its label is not
verified; the event text comes from the XML either way)."""

_IMPACT = {"+": "positive", "-": "negative"}
_GAZETTE = re.compile(r"(\d{4})/(\d{1,2})")
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_QUERY = re.compile(r"\s*([A-Za-z-]+)\s*=\s*\"?([^\s\"]+)\"?\s*")
_LEGAL_FIELD = re.compile(r"L(\d{3})[A-Z]*")
_IPC = re.compile(r"([A-H]\d\d[A-Z])\s*(\d+)\s*/\s*(\d+)")

# INPADOC fields in an ops:legal element's L500 block, by number.
_LEGAL_NAMES = {
    "501": "ref_country",
    "503": "ref_document_number",
    "504": "ref_document_country",
    "505": "ref_document_date",
    "506": "ref_document_kind",
    "507": "designated_states",
    "509": "owner",
    "510": "free_text",
    "516": "ipc",
    "518": "payment_date",
    "520": "fee_year",
    "524": "validation_states",
    "525": "effective_date",
}
_LEGAL_HEADER = {"001", "002", "003", "004", "005", "007", "008", "018", "019", "500", "502"}


# ---------------------------------------------------------------------------------------------
# Public API


def parse_register_biblio(data: bytes, name: str = "register biblio") -> list[PatentRecord]:
    """One record per register document with bibliographic data (EP Register ``biblio``)."""
    root = _parse(data, name)
    return _register_records(_register_documents(root, name), name)


def parse_register_events(
    data: bytes, name: str = "register events", *, application: str | None = None
) -> list[PatentEvent]:
    """One ``register-event`` per dossier event, in file order (newest first, as OPS sends them).

    ``application`` is used when the response does not name the application (see module notes).
    """
    root = _parse(data, name)
    return _register_events(root, _register_documents(root, name), application)


def parse_procedural_steps(
    data: bytes, name: str = "procedural steps", *, application: str | None = None
) -> list[PatentEvent]:
    """One ``procedural-step`` per step: code, most relevant date, description (+ fee year).

    The date is DATE_OF_DISPATCH when given (communications), else DATE_OF_PAYMENT (fees), else the
    first date; every date by type is in ``metadata["dates"]``, every text by type in
    ``metadata["texts"]``. ``application`` as for :func:`parse_register_events`.
    """
    root = _parse(data, name)
    return _procedural_steps(root, _register_documents(root, name), application)


def parse_legal_events(data: bytes, name: str = "legal events") -> list[PatentEvent]:
    """One ``legal-event`` per INPADOC legal event of every family member in an OPS legal response."""
    root = _parse(data, name)
    return _legal_events(_family_members(root, name))


def parse_family(data: bytes, name: str = "family") -> list[PatentRecord]:
    """One record per application of an INPADOC family (members sharing an application are merged)."""
    root = _parse(data, name)
    return _family_records(_family_members(root, name))


def parse_published_biblio(data: bytes, name: str = "published biblio") -> list[PatentRecord]:
    """One record per exchange document of a published-data biblio (or biblio search) response."""
    root = _parse(data, name)
    documents = _exchange_documents(root)
    if not documents and root.find(f"{_OPS}biblio-search") is None:
        raise RejectedInput(f"{name}: not an EPO OPS published-data response (it holds {_holds(root)})")
    return [record for doc in documents if (record := _exchange_record(doc)) is not None]


def parse_any(
    data: bytes, name: str, *, application: str | None = None
) -> tuple[list[PatentRecord], list[PatentEvent]]:
    """Records and events from any supported OPS response, told apart by its elements.

    Register responses give records (biblio) and events (dossier events, procedural steps) from
    whatever constituents they hold; family responses give records, plus legal events when they
    carry them; published-data responses give records. Anything else is refused. ``application``
    serves register events and steps whose response does not name the application.
    """
    root = _parse(data, name)
    documents = list(root.iter(f"{_REG}register-document"))
    if documents or root.find(f"{_OPS}register-search") is not None:
        events = _register_events(root, documents, application) + _procedural_steps(
            root, documents, application
        )
        return _register_records(documents, name), events
    if root.find(f"{_OPS}patent-family") is not None:
        members = _family_members(root, name)
        return _family_records(members), _legal_events(members)
    exchange = _exchange_documents(root)
    if exchange:
        return [record for doc in exchange if (record := _exchange_record(doc)) is not None], []
    if root.find(f"{_OPS}biblio-search") is not None:
        raise RejectedInput(
            f"{name}: an OPS search result that lists publication numbers only; "
            "search with the biblio constituent to get application data"
        )
    raise RejectedInput(f"{name}: not an EPO OPS response sepwatch reads (it holds {_holds(root)})")


def is_ops_xml(head: bytes) -> bool:
    """Do the first bytes of a file show an OPS ``world-patent-data`` root (under any prefix)?"""
    status, text = _root_start(head[:HEAD_BYTES])
    if status != "root":
        return False
    m = re.match(r"<(?:([A-Za-z_][\w.\-]*):)?world-patent-data[\s/>]", text)
    if m is None:
        return False
    end = text.find(">")
    tag = text if end < 0 else text[: end + 1]
    attribute = f"xmlns:{re.escape(m[1])}" if m[1] else "xmlns"
    return re.search(rf"\s{attribute}\s*=\s*([\"'])http://ops\.epo\.org\1", tag) is not None


# ---------------------------------------------------------------------------------------------
# Safe parsing


def _root_start(head: bytes) -> tuple[str, str]:
    """Walk the prolog: ("root", text from the root start tag) or ("doctype" | "not-xml" | "incomplete", "")."""
    if head.startswith(b"\xef\xbb\xbf"):
        text = head[3:].decode("utf-8", errors="replace")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")
    pos, size = 0, len(text)
    while True:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            return "incomplete", ""
        if text[pos] != "<":
            return "not-xml", ""
        if text.startswith("<?", pos):
            end, skip = text.find("?>", pos), 2
        elif text.startswith("<!--", pos):
            end, skip = text.find("-->", pos), 3
        elif text.startswith("<!", pos):
            return "doctype", ""
        else:
            return "root", text[pos:]
        if end < 0:
            return "incomplete", ""
        pos = end + skip


def _parse(data: bytes, name: str) -> Any:
    if not data.strip():
        raise RejectedInput(f"{name}: empty file")
    status, _ = _root_start(data[:_PROLOG_LIMIT])
    if status == "doctype":
        raise RejectedInput(
            f"{name}: the XML declares a DOCTYPE, which OPS responses never do "
            "(refused: entity declarations allow entity expansion and external entity attacks)"
        )
    if status == "not-xml":
        raise RejectedInput(f"{name}: not an EPO OPS response: the content is not XML")
    if status == "incomplete":
        if len(data) >= _PROLOG_LIMIT:
            raise RejectedInput(f"{name}: no XML root element in the first {_PROLOG_LIMIT} bytes")
        raise RejectedInput(f"{name}: truncated XML: the file ends before the root element")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise RejectedInput(f"{name}: malformed or truncated XML: {exc.msg}") from None
    if root.getroottree().docinfo.doctype:
        raise RejectedInput(f"{name}: the XML declares a DOCTYPE, which OPS responses never do")
    if next(root.iter(etree.Entity), None) is not None:
        raise RejectedInput(f"{name}: entity references are not allowed in an OPS response")
    qname = etree.QName(root)
    if qname.localname == "fault":
        code = _text(root.find(f"{{{qname.namespace}}}code")) if qname.namespace else None
        message = _text(root.find(f"{{{qname.namespace}}}message")) if qname.namespace else None
        detail = ": ".join(part for part in (code, message) if part) or "no details"
        raise RejectedInput(f"{name}: an EPO OPS error response, not data ({detail})")
    if qname.namespace != NS_OPS or qname.localname != "world-patent-data":
        raise RejectedInput(
            f"{name}: not an EPO OPS response: the root element is "
            f"{{{qname.namespace or ''}}}{qname.localname}, expected world-patent-data in namespace {NS_OPS}"
        )
    return root


def _holds(root: Any) -> str:
    for child in root:
        if isinstance(child.tag, str):
            return str(etree.QName(child).localname)
    return "nothing"


# ---------------------------------------------------------------------------------------------
# Small helpers


def _text(element: Any) -> str | None:
    """Element text with whitespace collapsed (OPS left-pads some values); None when empty."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _child_text(element: Any, ns: str, tag: str) -> str | None:
    return _text(element.find(f"{ns}{tag}"))


def _date(text: str | None) -> dt.date | None:
    """``20170517`` or ``2017-05-17``; None for empty values and the ``00010101`` placeholder."""
    if not text:
        return None
    m = _DATE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        value = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None if value.year <= 1 else value


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _application(country: str | None, number: str | None) -> str | None:
    if not number:
        return None
    office = country or office_of(number)
    if office:
        try:
            return normalise_application(office, number)
        except ValueError:
            pass
    return (office or "") + "".join(number.split()).upper()


def _publication(country: str | None, number: str | None, kind: str | None) -> str | None:
    if not number:
        return None
    compact = "".join(number.split())
    if country and not compact.upper().startswith(country.upper()):
        compact = country + compact
    compact += (kind or "").strip()
    try:
        return normalise_publication(compact)
    except ValueError:
        return compact.upper()


def _change_key(element: Any) -> tuple[int, int, int]:
    """Sort key of a register change set: Bulletin (year, week), then change date."""
    changed = _date(element.get("change-date"))
    gazette = _GAZETTE.fullmatch((element.get("change-gazette-num") or "").strip())
    if gazette:
        year, week = int(gazette[1]), int(gazette[2])
    elif changed:
        year, week = changed.isocalendar()[:2]
    else:
        year = week = 0
    return year, week, changed.toordinal() if changed else 0


def _latest(elements: list[Any]) -> Any:
    """The newest change set; OPS lists the newest first, so ties keep the first."""
    return max(elements, key=_change_key) if elements else None


def _ip_kind(office: str, kinds: list[str]) -> str | None:
    """invention | utility | design from the office and its publication kind codes, when clear."""
    letters = {kind[:1] for kind in kinds if kind}
    if office == "EP":
        return "invention"
    if office == "CN":
        if letters & {"U", "Y"}:
            return "utility"
        if "S" in letters:
            return "design"
        if letters & {"A", "B", "C"}:
            return "invention"
    if office == "US":
        if "S" in letters:
            return "design"
        if letters & {"A", "B"}:
            return "invention"
    return None


_GRANT_KINDS = {"EP": ("B",), "US": ("B",), "CN": ("B", "C", "U", "Y", "S")}


def _grant_date(office: str, publications: list[tuple[str, str | None, dt.date | None]]) -> dt.date | None:
    """Earliest date of a grant publication of ``office`` (EP: mention of grant = B publication)."""
    prefixes = _GRANT_KINDS.get(office)
    if not prefixes:
        return None
    dates = [
        date
        for country, kind, date in publications
        if country == office and kind and kind.startswith(prefixes) and date
    ]
    return min(dates) if dates else None


def _names(parent: Any, ns: str, item: str) -> list[str]:
    names: list[str] = []
    if parent is None:
        return names
    for element in parent.findall(f"{ns}{item}"):
        name = _text(element.find(f"{ns}addressbook/{ns}name")) or _text(element.find(f"{ns}name"))
        if name and name not in names:
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------
# EP Register


def _register_documents(root: Any, name: str) -> list[Any]:
    documents = list(root.iter(f"{_REG}register-document"))
    if not documents and root.find(f"{_OPS}register-search") is None:
        raise RejectedInput(f"{name}: not an EPO OPS register response (it holds {_holds(root)})")
    return documents


def _query(root: Any) -> tuple[str, str] | None:
    query = _text(root.find(f"{_OPS}register-search/{_OPS}query"))
    m = _QUERY.fullmatch(query or "")
    return (m[1].lower(), m[2]) if m else None


def _register_subject(
    root: Any, documents: list[Any], document: Any, application: str | None
) -> tuple[str, str | None, dict[str, Any]]:
    """(application, publication, metadata) of the register document events belong to."""
    bib = document.find(f"{_REG}bibliographic-data")
    if bib is not None:
        found, _filing, _others = _register_application(bib)
        publications = _register_publications(bib)
        ep = [number for country, number, _kind, _date in publications if country == "EP"]
        if found:
            return found, ep[0] if ep else None, {}
    query = _query(root) if len(documents) == 1 else None
    publication = None
    if query and query[0] in ("publication", "pn", "num"):
        publication = _publication(None, query[1], None)
    if application:
        return _application("EP", application) or application, publication, {}
    if query and query[0] in ("application", "ap"):
        return _application("EP", query[1]) or "", publication, {}
    return "", publication, {"application_unknown": True}


def _register_application(bib: Any) -> tuple[str | None, dt.date | None, list[str]]:
    """(EP application, filing date, other application numbers such as the PCT one)."""
    application: str | None = None
    filing: dt.date | None = None
    others: list[str] = []
    for reference in bib.findall(f"{_REG}application-reference"):
        for document_id in reference.findall(f"{_REG}document-id"):
            country = _child_text(document_id, _REG, "country")
            number = _application(country, _child_text(document_id, _REG, "doc-number"))
            if number is None:
                continue
            if country == "EP" and application is None:
                application = number
                filing = _date(_child_text(document_id, _REG, "date"))
            elif number != application and number not in others:
                others.append(number)
    if application is None:
        register_id = re.fullmatch(r"EP(\d{8})P", bib.get("id") or "")
        if register_id:
            application = "EP" + register_id[1]
    return application, filing, others


def _register_publications(bib: Any) -> list[tuple[str | None, str, str | None, dt.date | None]]:
    """(country, publication number, kind, date) of every publication, in file order."""
    out: list[tuple[str | None, str, str | None, dt.date | None]] = []
    for document_id in bib.iterfind(f"{_REG}publication-reference/{_REG}document-id"):
        country = _child_text(document_id, _REG, "country")
        kind = _child_text(document_id, _REG, "kind")
        number = _publication(country, _child_text(document_id, _REG, "doc-number"), kind)
        if number and all(number != seen for _c, seen, _k, _d in out):
            out.append((country, number, kind, _date(_child_text(document_id, _REG, "date"))))
    return out


def _register_records(documents: list[Any], name: str) -> list[PatentRecord]:
    records: list[PatentRecord] = []
    for index, document in enumerate(documents, 1):
        bib = document.find(f"{_REG}bibliographic-data")
        if bib is None:
            continue
        application, filing, others = _register_application(bib)
        if application is None:
            raise RejectedInput(f"{name}: register document {index} has no EP application number")
        records.append(_register_record(document, bib, application, filing, others))
    return records


def _register_record(
    document: Any, bib: Any, application: str, filing: dt.date | None, others: list[str]
) -> PatentRecord:
    publications = _register_publications(bib)
    metadata: dict[str, Any] = {
        "register_id": bib.get("id"),
        "date_produced": _iso(_date(document.get("date-produced"))),
        "dtd_version": document.get("dtd-version"),
        "publication_dates": {number: _iso(date) for _c, number, _k, date in publications},
    }
    if others:
        metadata["other_applications"] = others
    status, status_meta = _register_status(document, bib)
    metadata.update(status_meta)

    titles: dict[str, tuple[tuple[int, int, int], str]] = {}
    for element in bib.findall(f"{_REG}invention-title"):
        text = _text(element)
        lang = element.get("lang") or ""
        if text and (lang not in titles or _change_key(element) > titles[lang][0]):
            titles[lang] = (_change_key(element), text)
    title = (titles.get("en") or next(iter(titles.values()), (None, None)))[1]
    if titles:
        metadata["titles"] = {lang: text for lang, (_key, text) in titles.items()}

    parties = bib.find(f"{_REG}parties")
    applicants: list[str] = []
    if parties is not None:
        applicants = _names(_latest(parties.findall(f"{_REG}applicants")), _REG, "applicant")
        metadata["inventors"] = _names(_latest(parties.findall(f"{_REG}inventors")), _REG, "inventor")
        metadata["representatives"] = _names(_latest(parties.findall(f"{_REG}agents")), _REG, "agent")

    priorities: list[dict[str, Any]] = []
    claims = _latest(bib.findall(f"{_REG}priority-claims"))
    if claims is not None:
        for claim in claims.findall(f"{_REG}priority-claim"):
            date = _date(_child_text(claim, _REG, "date"))
            number = _application(_child_text(claim, _REG, "country"), _child_text(claim, _REG, "doc-number"))
            priorities.append({"number": number, "date": _iso(date), "kind": claim.get("kind")})
    if priorities:
        metadata["priorities"] = priorities
    priority_dates = [d for p in priorities if (d := _date(p["date"])) is not None]

    designations = _latest(bib.findall(f"{_REG}designation-of-states"))
    if designations is not None:
        metadata["designated_states"] = [
            code
            for country in designations.iter(f"{_REG}country")
            if country.getparent().tag != f"{_REG}region" and (code := _text(country))
        ]
    term = _latest(bib.findall(f"{_REG}term-of-grant"))
    if term is not None:
        metadata["lapsed_states"] = {
            country: _iso(_date(_child_text(lapse, _REG, "date")))
            for lapse in term.findall(f"{_REG}lapsed-in-country")
            if (country := _child_text(lapse, _REG, "country"))
        }
    ipc = _latest(bib.findall(f"{_REG}classifications-ipcr"))
    if ipc is not None:
        metadata["ipc"] = [text for c in ipc.iter(f"{_REG}text") if (text := _text(c))]
    effective = bib.find(f"{_REG}dates-rights-effective")
    if effective is not None:
        metadata["dates_rights_effective"] = {
            etree.QName(child).localname: _iso(_date(_child_text(child, _REG, "date")))
            for child in effective
            if isinstance(child.tag, str)
        }
    opposition = bib.find(f"{_REG}opposition-data/{_REG}opposition-not-filed/{_REG}date")
    if opposition is not None:
        metadata["opposition_not_filed"] = _iso(_date(_text(opposition)))
    language = _child_text(bib, _REG, "language-of-filing")
    if language:
        metadata["language_of_filing"] = language

    parents = _related(bib, "parent-doc")
    children = [child for child in _related(bib, "child-doc") if child != application]
    return PatentRecord(
        source=SOURCE,
        office="EP",
        application=application,
        title=title,
        applicants=applicants,
        filing_date=filing,
        priority_date=min(priority_dates) if priority_dates else None,
        publications=[number for _c, number, _k, _d in publications],
        grant_date=_grant_date("EP", [(c or "", k, d) for c, _n, k, d in publications]),
        status=status,
        kind="invention",
        parents=parents,
        children=children,
        metadata=metadata,
    )


def _register_status(document: Any, bib: Any) -> tuple[str | None, dict[str, Any]]:
    history: list[dict[str, Any]] = []
    for element in document.iterfind(f"{_REG}ep-patent-statuses/{_REG}ep-patent-status"):
        text = _text(element)
        code = (element.get("status-code") or "").strip() or None
        if text or code:
            history.append({"code": code, "text": text, "date": _date(element.get("change-date"))})
    metadata: dict[str, Any] = {}
    status = None
    if history:
        # OPS lists the newest status first; change dates, when all present, settle it.
        dated = all(entry["date"] for entry in history)
        current = max(history, key=lambda entry: entry["date"]) if dated else history[0]
        status = current["text"]
        metadata["status_code"] = current["code"]
        metadata["status_date"] = _iso(current["date"])
        metadata["status_history"] = [{**entry, "date": _iso(entry["date"])} for entry in history]
    status = status or (document.get("status") or "").strip() or (bib.get("status") or "").strip() or None
    return status, metadata


def _related(bib: Any, role: str) -> list[str]:
    """Application numbers of related documents (divisional parents or children)."""
    out: list[str] = []
    for holder in bib.iterfind(f"{_REG}related-documents//{_REG}{role}"):
        ids = holder.findall(f"{_REG}document-id")
        chosen = [d for d in ids if d.get("document-id-type") == "application number"] or ids[:1]
        for document_id in chosen:
            number = _application(
                _child_text(document_id, _REG, "country"), _child_text(document_id, _REG, "doc-number")
            )
            if number and number not in out:
                out.append(number)
    return out


def _register_events(root: Any, documents: list[Any], application: str | None) -> list[PatentEvent]:
    events: list[PatentEvent] = []
    for document in documents:
        dossier = list(document.iter(f"{_REG}dossier-event"))
        if not dossier:
            continue
        subject, publication, extra = _register_subject(root, documents, document, application)
        for event in dossier:
            code = (_text(event.find(f"{_REG}event-code")) or "").strip()
            texts = _typed_texts(event.findall(f"{_REG}event-text"), "event-text-type")
            metadata: dict[str, Any] = {"event_id": event.get("id"), "event_type": event.get("event-type")}
            gazette = event.find(f"{_REG}gazette-reference")
            if gazette is not None:
                metadata["gazette"] = {
                    "number": _child_text(gazette, _REG, "gazette-num"),
                    "date": _iso(_date(_child_text(gazette, _REG, "date"))),
                }
            if len(texts) > 1:
                metadata["texts"] = texts
            metadata.update(extra)
            events.append(
                PatentEvent(
                    source=SOURCE,
                    office="EP",
                    application=subject,
                    code=code,
                    date=_date(_text(event.find(f"{_REG}event-date/{_REG}date"))),
                    text=texts.get("DESCRIPTION") or next(iter(texts.values()), code),
                    kind="register-event",
                    known=code in _REGISTER_EVENT_CODES,
                    publication=publication,
                    metadata=metadata,
                )
            )
    return events


def _typed_texts(elements: list[Any], attribute: str) -> dict[str, str]:
    """Texts by their type attribute, in file order; a repeated type joins its texts with "; "."""
    texts: dict[str, str] = {}
    for element in elements:
        text = _text(element)
        if text is None:
            continue
        kind = (element.get(attribute) or "").strip()
        texts[kind] = f"{texts[kind]}; {text}" if kind in texts else text
    return texts


def _procedural_steps(root: Any, documents: list[Any], application: str | None) -> list[PatentEvent]:
    events: list[PatentEvent] = []
    for document in documents:
        steps = list(document.iter(f"{_REG}procedural-step"))
        if not steps:
            continue
        subject, publication, extra = _register_subject(root, documents, document, application)
        for step in steps:
            code = (_text(step.find(f"{_REG}procedural-step-code")) or "").strip()
            texts = _typed_texts(step.findall(f"{_REG}procedural-step-text"), "step-text-type")
            dates: dict[str, dt.date] = {}
            for element in step.findall(f"{_REG}procedural-step-date"):
                kind = (element.get("step-date-type") or "").strip()
                date = _date(_text(element.find(f"{_REG}date")))
                if date is not None and kind not in dates:
                    dates[kind] = date
            date = (
                dates.get("DATE_OF_DISPATCH")
                or dates.get("DATE_OF_PAYMENT")
                or next(iter(dates.values()), None)
            )
            text = texts.get("STEP_DESCRIPTION") or code
            metadata: dict[str, Any] = {
                "step_id": step.get("id"),
                "phase": step.get("procedure-step-phase"),
                "dates": {kind: value.isoformat() for kind, value in dates.items()},
                "texts": texts,
            }
            year = texts.get("YEAR")
            if year and year.isdigit():
                metadata["fee_year"] = int(year)
                text = f"{text} (year {int(year)})"
            limit = step.find(f"{_REG}time-limit")
            limit_value = _text(limit)
            if limit is not None and limit_value and limit_value.isdigit():
                metadata["time_limit"] = {"value": int(limit_value), "unit": limit.get("time-limit-unit")}
            metadata.update(extra)
            events.append(
                PatentEvent(
                    source=SOURCE,
                    office="EP",
                    application=subject,
                    code=code,
                    date=date,
                    text=text,
                    kind="procedural-step",
                    known=code in _STEP_CODES,
                    publication=publication,
                    metadata=metadata,
                )
            )
    return events


# ---------------------------------------------------------------------------------------------
# INPADOC family and legal status


def _family_members(root: Any, name: str) -> list[Any]:
    family = root.find(f"{_OPS}patent-family")
    if family is None:
        raise RejectedInput(f"{name}: not an EPO OPS family or legal response (it holds {_holds(root)})")
    return list(family.findall(f"{_OPS}family-member"))


def _docdb(reference: Any) -> Any:
    """The docdb document-id of an exchange-format reference (else its first document-id)."""
    if reference is None:
        return None
    ids = reference.findall(f"{_EXC}document-id")
    docdb = [d for d in ids if d.get("document-id-type") == "docdb"]
    return (docdb or ids or [None])[0]


def _member_ids(member: Any) -> tuple[str | None, dt.date | None, str | None, str | None, dt.date | None]:
    """(application, filing date, publication, its kind, publication date) of a family member."""
    app_id = _docdb(member.find(f"{_EXC}application-reference"))
    application = filing = None
    if app_id is not None:
        application = _application(
            _child_text(app_id, _EXC, "country"), _child_text(app_id, _EXC, "doc-number")
        )
        filing = _date(_child_text(app_id, _EXC, "date"))
    pub_id = _docdb(member.find(f"{_EXC}publication-reference"))
    publication = kind = published = None
    if pub_id is not None:
        kind = _child_text(pub_id, _EXC, "kind")
        publication = _publication(
            _child_text(pub_id, _EXC, "country"), _child_text(pub_id, _EXC, "doc-number"), kind
        )
        published = _date(_child_text(pub_id, _EXC, "date"))
    return application, filing, publication, kind, published


def _family_records(members: list[Any]) -> list[PatentRecord]:
    records: dict[str, PatentRecord] = {}
    kinds: dict[str, list[tuple[str, str | None, dt.date | None]]] = {}
    for member in members:
        application, filing, publication, kind, published = _member_ids(member)
        if application is None:
            continue
        office = office_of(application) or ""
        record = records.get(application)
        if record is None:
            record = records[application] = PatentRecord(
                source=SOURCE,
                office=office,
                application=application,
                filing_date=filing,
                family=member.get("family-id"),
                metadata={"publication_dates": {}},
            )
            kinds[application] = []
            reference = member.find(f"{_EXC}application-reference")
            if reference is not None and reference.get("doc-id"):
                record.metadata["docdb_application_id"] = reference.get("doc-id")
            priorities = _priority_claims(member.findall(f"{_EXC}priority-claim"))
            if priorities:
                record.metadata["priorities"] = priorities
                dates = [d for p in priorities if (d := _date(p["date"])) is not None]
                record.priority_date = min(dates) if dates else None
        reference = member.find(f"{_EXC}application-reference")
        if reference is not None and reference.get("is-representative") == "YES":
            record.metadata["representative"] = True
        if publication and publication not in record.publications:
            record.publications.append(publication)
            record.metadata["publication_dates"][publication] = _iso(published)
            kinds[application].append((office_of(publication) or "", kind, published))
        exchange = member.find(f"{_EXC}exchange-document")
        if exchange is not None:
            biblio = _exchange_record(exchange)
            if biblio is not None:
                record.title = record.title or biblio.title
                record.applicants = record.applicants or biblio.applicants
    for application, record in records.items():
        record.kind = _ip_kind(record.office, [k or "" for _c, k, _d in kinds[application]])
        record.grant_date = _grant_date(record.office, kinds[application])
    return list(records.values())


def _priority_claims(claims: list[Any]) -> list[dict[str, Any]]:
    """Priority claims of the exchange format: number (normalised), date, kind, active flag."""
    out: list[dict[str, Any]] = []
    for claim in claims:
        ids = {d.get("document-id-type") or "": d for d in claim.findall(f"{_EXC}document-id")}
        number: str | None = None
        if "docdb" in ids:
            number = _application(
                _child_text(ids["docdb"], _EXC, "country"), _child_text(ids["docdb"], _EXC, "doc-number")
            )
        elif "epodoc" in ids:
            number = _application(None, _child_text(ids["epodoc"], _EXC, "doc-number"))
        elif "original" in ids:
            number = _application(
                _child_text(ids["original"], _EXC, "country"),
                _child_text(ids["original"], _EXC, "doc-number"),
            )
        date = next(
            (d for element in ids.values() if (d := _date(_child_text(element, _EXC, "date"))) is not None),
            None,
        )
        entry: dict[str, Any] = {"number": number, "date": _iso(date), "kind": claim.get("kind")}
        active = _child_text(claim, _EXC, "priority-active-indicator")
        if active:
            entry["active"] = active == "YES"
        out.append(entry)
    return out


def _legal_events(members: list[Any]) -> list[PatentEvent]:
    events: list[PatentEvent] = []
    for member in members:
        member_application, _filing, member_publication, _kind, _published = _member_ids(member)
        family = member.get("family-id")
        for legal in member.findall(f"{_OPS}legal"):
            events.append(_legal_event(legal, member_application, member_publication, family))
    return events


def _legal_event(
    legal: Any, member_application: str | None, member_publication: str | None, family: str | None
) -> PatentEvent:
    fields: dict[str, tuple[str | None, str | None, Any]] = {}
    for element in legal.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(_OPS):
            continue
        m = _LEGAL_FIELD.fullmatch(etree.QName(element).localname)
        if m and len(element) == 0:
            fields.setdefault(m[1], (element.get("desc"), _text(element), element))

    def value(number: str) -> str | None:
        return fields[number][1] if number in fields else None

    authority = value("001")
    code = (legal.get("code") or value("008") or "").strip()
    gazette = _date(value("007"))
    effective = _date(value("525"))
    impact = _IMPACT.get((legal.get("infl") or "").strip(), "neutral")
    metadata: dict[str, Any] = {
        "authority": authority,
        "impact": impact,
        "gazette_date": _iso(gazette),
        "family": family,
    }
    other: dict[str, str | None] = {}
    for number, (desc, text, _element) in fields.items():
        if number in _LEGAL_HEADER:
            continue
        key = _LEGAL_NAMES.get(number)
        if key is None:
            other[f"L{number} {desc or ''}".strip()] = text
        elif key in ("designated_states", "validation_states"):
            metadata[key] = (text or "").split()
        elif key in ("effective_date", "payment_date", "ref_document_date"):
            metadata[key] = _iso(_date(text))
        elif key == "fee_year":
            metadata[key] = int(text) if text and text.isdigit() else text
        else:
            metadata[key] = text
    if "502" in fields:
        _desc, ref_code, element = fields["502"]
        metadata["ref_legal_event"] = {
            "code": ref_code,
            "description": " ".join((element.get("descData") or "").split()) or None,
            "impact": _IMPACT.get((element.get("infl") or "").strip(), "neutral"),
        }
    if other:
        metadata["other_fields"] = other

    application = member_application or ""
    publication = member_publication
    document_type = value("002")
    if authority and value("003"):
        if document_type == "F":
            application = _application(authority, value("003")) or application
        elif document_type == "P":
            publication = _publication(authority, value("003"), value("004")) or publication
    office = authority or (office_of(application) or "")
    return PatentEvent(
        source=SOURCE,
        office=office,
        application=application,
        code=code,
        date=effective or gazette,
        text=" ".join((legal.get("desc") or "").split()) or code,
        kind="legal-event",
        known=office == "EP" and code in _INPADOC_EP_CODES,
        publication=publication,
        metadata=metadata,
    )


# ---------------------------------------------------------------------------------------------
# Published data (exchange documents)


def _exchange_documents(root: Any) -> list[Any]:
    return [
        document
        for document in root.iter(f"{_EXC}exchange-document")
        if document.getparent() is not None and document.getparent().tag != f"{_OPS}family-member"
    ]


def _exchange_record(document: Any) -> PatentRecord | None:
    bib = document.find(f"{_EXC}bibliographic-data")
    if bib is None:
        return None
    office = (document.get("country") or "").strip().upper()
    publications: list[tuple[str, str | None, dt.date | None]] = []
    numbers: list[str] = []
    pub_dates: dict[str, str | None] = {}
    for reference in bib.findall(f"{_EXC}publication-reference"):
        document_id = _docdb(reference)
        if document_id is None:
            continue
        country = _child_text(document_id, _EXC, "country") or office
        kind = _child_text(document_id, _EXC, "kind")
        number = _publication(country, _child_text(document_id, _EXC, "doc-number"), kind)
        date = next(
            (
                d
                for element in reference.findall(f"{_EXC}document-id")
                if (d := _date(_child_text(element, _EXC, "date"))) is not None
            ),
            None,
        )
        if number and number not in numbers:
            numbers.append(number)
            pub_dates[number] = _iso(date)
            publications.append((country, kind, date))
    if not numbers:
        fallback = _publication(office, document.get("doc-number"), document.get("kind"))
        if fallback:
            numbers.append(fallback)
            publications.append((office, document.get("kind"), None))

    reference = bib.find(f"{_EXC}application-reference")
    application: str | None = None
    filing: dt.date | None = None
    metadata: dict[str, Any] = {"publication_dates": pub_dates}
    if reference is not None:
        ids = {d.get("document-id-type") or "": d for d in reference.findall(f"{_EXC}document-id")}
        country = (_child_text(ids["docdb"], _EXC, "country") if "docdb" in ids else None) or office
        raw = {kind: _child_text(element, _EXC, "doc-number") for kind, element in ids.items()}
        metadata["application_ids"] = raw
        if raw.get("original"):
            application = _application(country, raw["original"])
        elif raw.get("docdb"):
            application = _application(country, raw["docdb"])
        elif raw.get("epodoc"):
            application = _application(None, raw["epodoc"])
        filing = next(
            (d for element in ids.values() if (d := _date(_child_text(element, _EXC, "date"))) is not None),
            None,
        )
    if application is None:
        return None

    priorities = _priority_claims(bib.findall(f"{_EXC}priority-claims/{_EXC}priority-claim"))
    if priorities:
        metadata["priorities"] = priorities
    priority_dates = [d for p in priorities if (d := _date(p["date"])) is not None]

    applicants = _exchange_parties(bib, "applicant", metadata)
    inventors = _exchange_parties(bib, "inventor", {})
    if inventors:
        metadata["inventors"] = inventors

    titles = {
        element.get("lang") or "": text
        for element in bib.findall(f"{_EXC}invention-title")
        if (text := _text(element))
    }
    if titles:
        metadata["titles"] = titles
    abstract = next(
        (element for element in document.findall(f"{_EXC}abstract") if (element.get("lang") or "en") == "en"),
        document.find(f"{_EXC}abstract"),
    )
    if abstract is not None:
        metadata["abstract"] = "\n".join(p for element in abstract.iter(f"{_EXC}p") if (p := _text(element)))
    ipc = []
    for element in bib.iterfind(f"{_EXC}classifications-ipcr/{_EXC}classification-ipcr/{_EXC}text"):
        m = _IPC.match((_text(element) or "").replace(" ", "") or "")
        if m:
            ipc.append(f"{m[1]} {m[2]}/{m[3]}")
    if ipc:
        metadata["ipc"] = ipc
    return PatentRecord(
        source=SOURCE,
        office=office or (office_of(application) or ""),
        application=application,
        title=titles.get("en") or next(iter(titles.values()), None),
        applicants=applicants,
        filing_date=filing,
        priority_date=min(priority_dates) if priority_dates else None,
        publications=numbers,
        grant_date=_grant_date(office, publications),
        kind=_ip_kind(office, [kind or "" for _c, kind, _d in publications]),
        family=document.get("family-id"),
        metadata=metadata,
    )


def _exchange_parties(bib: Any, role: str, metadata: dict[str, Any]) -> list[str]:
    """Names in the office's original spelling (epodoc spelling into metadata), duplicates dropped."""
    by_format: dict[str, list[str]] = {}
    for party in bib.iterfind(f"{_EXC}parties/{_EXC}{role}s/{_EXC}{role}"):
        name = _text(party.find(f"{_EXC}{role}-name/{_EXC}name"))
        if name:
            name = name.rstrip(" ,")
            names = by_format.setdefault(party.get("data-format") or "", [])
            if name and name not in names:
                names.append(name)
    if "epodoc" in by_format:
        metadata[f"{role}s_epodoc"] = by_format["epodoc"]
    return by_format.get("original") or by_format.get("epodoc") or next(iter(by_format.values()), [])


def parse_search_result(data: bytes, name: str = "search result") -> list[str]:
    """Publications found by a published-data search (``ops:biblio-search``), as docdb keys for
    the next request: ``EP.3000000.A1``. Used to follow a competitor's new publications."""
    root = _parse(data, name)
    out: list[str] = []
    for reference in root.iter(f"{_OPS}publication-reference"):
        doc = _docdb(reference)
        if doc is None:
            continue
        country = _child_text(doc, _EXC, "country")
        number = _child_text(doc, _EXC, "doc-number")
        kind = _child_text(doc, _EXC, "kind")
        if country and number and kind:
            out.append(f"{country}.{number}.{kind}")
    return out

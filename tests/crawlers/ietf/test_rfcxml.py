"""xml2rfc v2 and v3 XML: the real file-scheme draft and RFCXML template, the txt/xml agreement,
numbering rules, rendering, and hostile XML."""

from __future__ import annotations

import difflib
import re
import time

import pytest

from crawlers.extract import Extracted, RejectedInput
from crawlers.ietf import drafttext, rfcxml
from tests.conftest import realdata
from tests.crawlers.ietf.test_drafttext import FILE_SCHEME_SECTIONS

V2 = "draft-ietf-appsawg-file-scheme-16.v2.xml"
V3 = "draft-rfcxml-general-template-standard-00.v3.xml"


def _v2() -> Extracted:
    return rfcxml.extract(realdata("ietf", V2).read_bytes(), V2)


def _v3() -> Extracted:
    return rfcxml.extract(realdata("ietf", V3).read_bytes(), V3)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_v2_draft_title_metadata_and_sections() -> None:
    result = _v2()
    assert result.title == "The file URI Scheme"
    assert result.metadata == {
        "version": 2,
        "docname": "draft-ietf-appsawg-file-scheme-16",
        "name": "draft-ietf-appsawg-file-scheme",
        "rev": "16",
        "category_code": "std",
        "intended_status": "Standards Track",
        "ipr": "trust200902",
        "updates": ["RFC 1738"],
        "date": "2016-01-01",
        "date_precision": "year",
        "area": "General",
        "workgroup": "Applications Area Working Group",
        "keywords": ["Internet-Draft"],
        "authors": ["M. Kerwin"],
        "references": [
            "RFC2119", "RFC3986", "RFC5234", "RFC6454", "RFC6874", "STD63", "BCP35", "RFC1630", "RFC1738",
            "RFC2396", "RFC6838", "Bash-Tilde", "WHATWG-URL", "MS-DTYP", "POSIX", "UAX15", "UNICODE",
            "Win32-Namespaces", "Zsh-Tilde", "Bug107540",
        ],
    }  # fmt: skip
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, "Abstract"),
        (None, "Note to Readers (To be removed by the RFC Editor)"),
        *FILE_SCHEME_SECTIONS,
    ]


def test_txt_and_xml_of_the_same_draft_agree_on_numbers_headings_and_text() -> None:
    text = drafttext.extract(realdata("ietf", "draft-ietf-appsawg-file-scheme-16.txt").read_bytes(), "d.txt")
    xml = _v2()
    numbered_text = [(s.number, s.heading) for s in text.sections if s.number]
    numbered_xml = [(s.number, s.heading) for s in xml.sections if s.number]
    assert numbered_text == numbered_xml == FILE_SCHEME_SECTIONS
    by_text = {s.heading: s.text for s in text.sections}
    by_xml = {s.heading: s.text for s in xml.sections}
    for heading in (
        "Abstract",
        "Introduction",
        "Syntax",
        "Security Considerations",
        "IANA Considerations",
        "Informative References",
        "file URI with Authority",
        "Collected Nonstandard Rules",
    ):
        a, b = _words(by_text[heading]), _words(by_xml[heading])
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        assert ratio > 0.97, (heading, ratio)


def test_v2_rendering_follows_xml2rfc() -> None:
    sections = {s.number: s.text for s in _v2().sections}
    # xrefs: appendix, section and citation labels
    assert "Appendix A lists significant changes to syntax." in sections["1"]
    assert "(Section 2)" in sections["1.1"]
    assert "[RFC3986]" in sections["2"]
    # spanx verb is quoted, artwork keeps its lines
    assert 'importing the "host" and "path-absolute" rules' in sections["2"]
    assert '   file-hier-part = ( "//" auth-path )\n                  / local-path' in sections["2"]
    # hanging list with a nested symbols list
    assert "Scheme name:\n   file\n\nStatus:\n   permanent" in sections["6"]
    assert "   *  Windows Shell (PathCreateFromUrl, UrlCreateFromPath)." in sections["6"]
    # numbered list nested in a numbered list, vspace blankLines="1" inside an item
    assert (
        "2.  Append the authority:\n\n    1.  Append the \u201c//\u201d authority sigil" in sections["E.3.1"]
    )
    assert "as above.\n\n        The colon character" in sections["E.3.1"]
    # references: sortrefs="yes", citation labels, authors as xml2rfc writes them
    informative = sections["8.2"].split("\n\n")
    assert [entry.split("  ")[0] for entry in informative][:3] == ["[Bash-Tilde]", "[BCP35]", "[Bug107540]"]
    assert (
        '[RFC2396]  Berners-Lee, T., Fielding, R., and L. Masinter, "Uniform Resource Identifiers (URI): '
        'Generic Syntax", RFC 2396, DOI 10.17487/RFC2396, August 1998, <http://www.rfc-editor.org/info/rfc2396>.'
    ) in informative
    assert '[UAX15]  Davis, M., Ed. and K. Whistler, Ed., "Unicode Standard Annex #15' in sections["8.2"]
    assert sections["8"] == ""


def test_v3_template_sections_metadata_and_xincludes_kept_by_name() -> None:
    result = _v3()
    assert result.title == "Title [REPLACE]"
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, "Abstract"),
        ("1", "Introduction"),
        ("1.1", "Requirements Language"),
        ("2", "Body [REPLACE]"),
        ("3", "IANA Considerations"),
        ("4", "Security Considerations"),
        ("5", "References"),
        ("5.1", "Normative References"),
        ("5.2", "Informative References"),
        ("Appendix A", "Appendix 1 [REPLACE/DELETE]"),
        (None, "Acknowledgements"),
        (None, "Contributors"),
    ]
    metadata = result.metadata
    assert metadata["version"] == 3
    assert metadata["docname"] == "draft-rfcxml-general-template-standard-00"
    assert (metadata["name"], metadata["rev"]) == ("draft-rfcxml-general-template-standard", "00")
    assert (metadata["category_code"], metadata["intended_status"]) == ("info", "Informational")
    assert (metadata["ipr"], metadata["submissionType"]) == ("trust200902", "IETF")
    assert (metadata["date"], metadata["date_precision"]) == ("2023-01-01", "year")
    assert metadata["workgroup"] == "Internet Engineering Task Force"
    assert metadata["keywords"] == ["keyword"]
    assert metadata["references"] == ["RFC2119", "RFC8174", "exampleRefMin", "exampleRefOrg"]
    assert "obsoletes" not in metadata and "updates" not in metadata  # obsoletes="" updates=""
    sections = {s.number: s.text for s in result.sections}
    assert sections["5.1"] == "[RFC2119]\n\n[RFC8174]"
    assert "as described in BCP 14 [RFC2119] [RFC8174] when, and only when" in sections["1.1"]
    body = sections["2"]
    for expected in (
        "1.  Ordered list item [REPLACE/DELETE]",
        "*  Bulleted list item [REPLACE/DELETE]",
        "First term: [REPLACE/DELETE]\n   Definition of the first term [REPLACE/DELETE]",
        "Column 1 [REPLACE]\nCell [REPLACE]",
        "source code goes here [REPLACE]\n\nFigure 1: Source [REPLACE]",
        "ascii-art diagram goes here [REPLACE]\n\nFigure 2: Diagram [REPLACE]",
    ):
        assert expected in body


V3_DOC = b"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rfc [
  <!ENTITY nbsp "&#160;">
  <!ENTITY nbhy "&#8209;">
]>
<rfc xmlns:xi="http://www.w3.org/2001/XInclude" version="3" number="9999" category="exp"
     obsoletes="1111, 2222" updates="3333" symRefs="false" sortRefs="true" submissionType="IRTF">
  <front>
    <title>An&nbsp;Example of&nbsp;Everything</title>
    <seriesInfo name="RFC" value="9999"/>
    <author initials="A." surname="Author" fullname="Alice Author"/>
    <author fullname="Bob Builder"/>
    <date year="2024" month="3" day="7"/>
    <area>sec</area>
    <keyword>one</keyword><keyword>two</keyword>
    <abstract><t>Short.</t></abstract>
    <note removeInRFC="true"><name>Discussion Venues</name><t>Elsewhere.</t></note>
  </front>
  <middle>
    <section anchor="intro"><name>Intro</name>
      <t>See <xref target="zeta"/>, <xref target="alpha" section="3.2"/>, <xref target="alpha" section="4"
         sectionFormat="comma"/>, <xref target="tab"/>, <xref target="fig"/> and <xref target="app"/>.</t>
      <ol type="a"><li>first</li><li><t>second</t><ul><li>inner</li></ul></li></ol>
      <dl><dt>Term</dt><dd>Meaning</dd></dl>
    </section>
    <section numbered="false"><name>Aside Without Number</name><t>Plain<br/>lines.</t></section>
    <section><name>Second</name>
      <figure anchor="fig"><name>Flow</name><artwork><![CDATA[
          A ---> B
]]></artwork></figure>
      <table anchor="tab"><name>Codes</name>
        <thead><tr><th>Code</th><th>Meaning</th></tr></thead>
        <tbody><tr><td>1</td><td><t>One</t></td></tr></tbody>
      </table>
      <t>Uses <em>em</em>, <strong>strong</strong>, <tt>tt</tt> and <bcp14>MUST</bcp14>; non&nbhy;breaking; ask <contact fullname="Dan Doe"/>.</t>
      <section><name>Child</name><t>x</t></section>
    </section>
  </middle>
  <back>
    <displayreference target="zeta" to="Z"/>
    <references><name>Normative References</name>
      <reference anchor="zeta"><front><title>Zeta</title><author initials="Z." surname="Zed"/>
        <date year="2001" month="May"/></front></reference>
      <reference anchor="alpha"><front><title>Alpha</title><author><organization>Org</organization></author>
        <date year="1999"/></front><seriesInfo name="RFC" value="1"/></reference>
    </references>
    <section anchor="app"><name>Extra</name><t>Appendix text.</t>
      <section><name>More</name><t>y</t></section></section>
    <section numbered="false"><name>Acknowledgments</name><t>Thanks.</t></section>
  </back>
</rfc>
"""


def test_v3_numbering_rendering_and_rfc_metadata() -> None:
    result = rfcxml.extract(V3_DOC, "rfc9999.xml")
    assert result.title == "An Example of Everything"
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, "Abstract"),
        (None, "Discussion Venues"),
        ("1", "Intro"),
        (None, "Aside Without Number"),
        ("2", "Second"),
        ("2.1", "Child"),
        ("3", "Normative References"),
        ("Appendix A", "Extra"),
        ("A.1", "More"),
        (None, "Acknowledgments"),
    ]
    metadata = result.metadata
    assert (metadata["docname"], metadata["name"], metadata["number"]) == ("rfc9999", "rfc9999", "RFC 9999")
    assert (metadata["category_code"], metadata["category"]) == ("exp", "Experimental")
    assert metadata["obsoletes"] == ["RFC 1111", "RFC 2222"]
    assert metadata["updates"] == ["RFC 3333"]
    assert (metadata["date"], metadata["date_precision"]) == ("2024-03-07", "day")
    assert "expires" not in metadata  # RFCs do not expire
    assert metadata["authors"] == ["A. Author", "Bob Builder"]
    text = {s.heading: s.text for s in result.sections}
    assert text["Intro"].startswith(
        "See [Z], Section 3.2 of [2], [2], Section 4, Table 1, Figure 1 and Appendix A.\n\na.  first\n\nb.  second"
    )
    assert "   *  inner" in text["Intro"]
    assert "Term  Meaning" in text["Intro"]
    assert text["Aside Without Number"] == "Plain\nlines."
    assert "          A ---> B" not in text["Second"] and "   A ---> B\n\nFigure 1: Flow" in text["Second"]
    assert "Code\tMeaning\n1\tOne\n\nTable 1: Codes" in text["Second"]
    assert "Uses _em_, *strong*, tt and MUST; non-breaking; ask Dan Doe." in text["Second"]
    # symRefs="false": citations numbered in source order (displayreference wins); sortRefs="true": sorted by label
    assert (
        text["Normative References"] == '[2]  Org, "Alpha", RFC 1, 1999.\n\n[Z]  Zed, Z., "Zeta", May 2001.'
    )


V2_DOC = b"""<?xml version="1.0"?>
<!DOCTYPE rfc SYSTEM "rfc2629.dtd" [
  <!ENTITY RFC2119 SYSTEM "http://xml2rfc.tools.ietf.org/public/rfc/bibxml/reference.RFC.2119.xml">
  <!ENTITY I-D.ietf-quic-http PUBLIC "" "https://xml2rfc.ietf.org/public/rfc/bibxml3/reference.I-D.ietf-quic-http.xml">
]>
<?rfc symrefs="yes"?>
<rfc docName="draft-example-thing-03" category="bcp" ipr="trust200902">
  <front>
    <title abbrev="Thing">A Thing</title>
    <author initials="C." surname="Carol" fullname="Carol C"/>
    <date year="2016" month="December" day="16"/>
    <abstract><t>About&nbsp;things; see &RFC2119;.</t></abstract>
  </front>
  <middle>
    <section title="Terms" anchor="terms">
      <t>Keywords per <xref target="RFC2119"/> and <xref target="I-D.ietf-quic-http">the HTTP/3 draft</xref>.</t>
      <t><list style="numbers"><t>one</t><t>two<list style="letters"><t>inner</t></list></t></list></t>
      <t><list style="format R%d:"><t>req</t></list></t>
      <texttable title="Values" anchor="values"><ttcol>Name</ttcol><ttcol>Value</ttcol>
        <c>a</c><c>1</c><c>b</c><c>2</c></texttable>
      <t>See <xref target="values"/>.</t>
    </section>
  </middle>
  <back>
    <references title="Normative References">&RFC2119;&I-D.ietf-quic-http;</references>
    <section title="Changes" numbered="false"><t>None.</t></section>
  </back>
</rfc>
"""


def test_v2_single_references_bibxml_entities_and_lists() -> None:
    result = rfcxml.extract(V2_DOC, "draft-example-thing-03.xml")
    assert [(s.number, s.heading) for s in result.sections] == [
        (None, "Abstract"),
        ("1", "Terms"),
        ("2", "Normative References"),
        (None, "Changes"),
    ]
    metadata = result.metadata
    assert (metadata["docname"], metadata["rev"]) == ("draft-example-thing-03", "03")
    assert (metadata["intended_status"], metadata["date"], metadata["expires"]) == (
        "Best Current Practice",
        "2016-12-16",
        "2017-06-19",
    )
    assert metadata["references"] == ["RFC2119", "I-D.ietf-quic-http"]
    text = {s.heading: s.text for s in result.sections}
    assert text["Abstract"] == "About things; see [RFC2119]."
    assert text["Normative References"] == "[RFC2119]\n\n[I-D.ietf-quic-http]"
    terms = text["Terms"]
    assert terms.startswith("Keywords per [RFC2119] and the HTTP/3 draft.")
    assert "1.  one\n\n2.  two\n\n    a.  inner" in terms
    assert "R1:  req" in terms
    assert "Name\tValue\na\t1\nb\t2\n\nTable 1: Values" in terms
    assert terms.endswith("See Table 1.")


def test_reference_label_from_bibxml_file_names() -> None:
    assert rfcxml.reference_label("reference.RFC.2119.xml") == "RFC2119"
    assert rfcxml.reference_label("reference.BCP.0014.xml") == "BCP14"
    assert rfcxml.reference_label("reference.I-D.ietf-quic-http.xml") == "I-D.ietf-quic-http"
    assert rfcxml.reference_label("reference.W3C.REC-xml-20081126.xml") == "W3C.REC-xml-20081126"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rfc [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<rfc><front><title>&lol9;</title></front><middle><section title="x"><t>&lol9;</t></section></middle></rfc>'
)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "entity &lol; expands to text"),
        (BILLION_LAUGHS.replace(b'<!ENTITY lol "lol">\n', b""), "refers to other entities"),
        (
            b'<?xml version="1.0"?><!DOCTYPE rfc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<rfc><middle><section title="x"><t>&xxe;</t></section></middle></rfc>',
            "external entity &xxe; (SYSTEM 'file:///etc/passwd') is not allowed",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE rfc [<!ENTITY x SYSTEM "http://evil.example/x.txt">]><rfc/>',
            "external entity &x;",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE rfc [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]><rfc/>',
            "parameter entity %p;",
        ),
        (
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rfc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rfc/>'.encode(
                "utf-16"
            ),
            "external entity &xxe;",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE rfc [<!ENTITY nbsp "&#32;">]><rfc/>',
            "entity &nbsp; (U+0020) is not allowed",
        ),
        (
            b'<!DOCTYPE rfc SYSTEM "rfc2629.dtd"><rfc><front><title>a &bogus; b</title></front></rfc>',
            "undefined entity &bogus;",
        ),
        (b"<rfc><front><title>a &nbsp; b</title></front></rfc>", "malformed XML"),
        (b"", "empty file"),
        (b"Internet-Draft  plain text, not XML", "malformed XML"),
        (b"<html><body><p>hi</p></body></html>", "the root element is <html>, not <rfc>"),
        (b'<rfc version="3"><front><title>only a title</title></front></rfc>', "no abstract and no sections"),
    ],
)
def test_hostile_and_broken_xml_is_rejected_naming_the_file(data: bytes, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(RejectedInput) as err:
        rfcxml.extract(data, "incoming/evil.xml")
    assert err.value.reason.startswith("incoming/evil.xml: ")
    assert reason in err.value.reason
    assert time.monotonic() - started < 1.0


def test_truncated_real_draft_is_rejected() -> None:
    data = realdata("ietf", V2).read_bytes()
    with pytest.raises(RejectedInput, match=r"draft\.xml: malformed XML: Premature end of data"):
        rfcxml.extract(data[: len(data) // 2], "draft.xml")


def test_bibxml_citation_is_not_a_document() -> None:
    with pytest.raises(RejectedInput, match=r"reference\.RFC\.8341\.xml: a bibxml citation"):
        rfcxml.extract(
            realdata("ietf", "bibxml_reference.RFC.8341.xml").read_bytes(), "reference.RFC.8341.xml"
        )


def test_check_doctype_without_entities_refuses_even_character_entities() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY nbsp "&#160;">]><x/>'
    assert rfcxml.check_doctype(data, "a.xml") == {}
    with pytest.raises(RejectedInput, match="entity declarations in the DOCTYPE are not allowed"):
        rfcxml.check_doctype(data, "a.xml", entities=False)


def test_entities_that_pass_the_prolog_scan_are_still_checked_after_parsing() -> None:
    # Defence in depth: should the DOCTYPE scan ever misread a prolog, the parsed DTD is checked too.
    data = b'<!DOCTYPE rfc [<!ENTITY x SYSTEM "file:///etc/passwd">]><rfc><front><title>&x;</title></front></rfc>'
    with pytest.raises(RejectedInput, match=r"a\.xml: entity &x; is not allowed"):
        rfcxml._parse(data, "a.xml", {})

"""Pure parsers for IETF formats: Internet-Drafts and RFCs as paginated text (:mod:`.drafttext`) and
as xml2rfc v2/v3 XML (:mod:`.rfcxml`), the RFC Editor's ``rfc-index.xml`` (:mod:`.rfcindex`), the
Datatracker JSON API (:mod:`.datatracker`) and document names (:mod:`.names`).

Nothing here touches the network: spiders and importers fetch the bytes and hand them over.
Document extractors follow the :mod:`crawlers.extract` contract (bytes and file name in, an
``Extracted`` or a ``RejectedInput`` naming the file out).
"""

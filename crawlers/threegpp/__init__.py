"""Pure parsers for 3GPP's listings and metadata: no network, no Scrapy.

One module per format, each importable on its own:

* :mod:`~crawlers.threegpp.groups` — the TSGs and WGs (codes, FTP folders, TDoc prefixes);
* :mod:`~crawlers.threegpp.listing` — www.3gpp.org/ftp directory listings (both page formats);
* :mod:`~crawlers.threegpp.meetings` — the dynareport meeting calendars, the Portal's export URL;
* :mod:`~crawlers.threegpp.tdoclist` — the Portal's TDoc list export (.xlsx);
* :mod:`~crawlers.threegpp.agenda` — "TDocs by Agenda" HTML pages;
* :mod:`~crawlers.threegpp.versions` — spec numbers, versions, spec file names, ETSI numbers;
* :mod:`~crawlers.threegpp.releases` — Release freeze milestones and their three layers.

Bad input raises :class:`crawlers.extract.RejectedInput` with a reason a user can act on.
"""

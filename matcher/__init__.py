"""Claims against standard text: claim maps (the YAML format IP staff keep), automatic splitting of
claims into technical features, the correspondence tables B.1/B.2 (.xlsx and .docx), feature
matching against document versions and the drift of mapped clauses.

- :mod:`matcher.claimmap` — the claim map data classes, loading with file:line:key errors, dumping.
- :mod:`matcher.split` — one claim's text to its preamble, features and "and/or" alternatives.
- :mod:`matcher.tables` — Table B.1 (basic information) and B.2 (claim vs standard text) export and
  import, pinned to the document versions they quote.

The matching modules (scoring, clause drift, declaration checks) describe themselves in their own
docstrings.
"""

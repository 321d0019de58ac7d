"""Patent offices: parsers that turn office responses into PatentRecord and PatentEvent items.

One module per office or service (``epo`` for EPO OPS); ``numbers`` owns the normalisation of
application and publication numbers that every office module shares. Parsers are pure: bytes in,
items out, no network and no store.
"""

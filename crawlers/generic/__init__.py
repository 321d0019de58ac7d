"""Configurable sources: any RSS/Atom feed (:mod:`.feed`) and any HTML listing page described by
CSS selectors (:mod:`.listing`).

Both modules are pure parsers: they take the bytes a spider fetched and return items; they never
touch the network or the store. The spiders that fetch, paginate and follow links live elsewhere.
"""

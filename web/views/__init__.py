"""What the pages and the JSON API show, read from the store of record and the search index.

Each module returns Pydantic models: the API serialises them as they are and the templates render
them, so a page and its ``/api/v1`` twin always say the same thing. Route functions only parse
parameters and pick a template; every query against the store lives here.
"""

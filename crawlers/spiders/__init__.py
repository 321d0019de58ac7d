"""One spider per source: ``<body>_<what>.py``, the spider's ``name`` equal to the module name."""

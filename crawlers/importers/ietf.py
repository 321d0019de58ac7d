"""Importers for IETF files: Internet-Drafts and RFCs as text or XML (filled in with the IETF parsers)."""

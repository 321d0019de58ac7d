"""sepwatch configuration: one YAML file validated by a schema, with ``SEPWATCH_`` environment overrides.

``load_settings()`` finds the file, applies the environment and validates, raising ``ConfigError``
with every problem; ``starter_yaml()`` writes a commented file with every setting at its default.
"""

from __future__ import annotations

from config.loader import ConfigError, load_settings
from config.schema import Settings
from config.starter import all_setting_keys, starter_yaml

__all__ = ["ConfigError", "Settings", "all_setting_keys", "load_settings", "starter_yaml"]

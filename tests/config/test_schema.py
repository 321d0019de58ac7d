"""The settings schema on its own: defaults, validators, helpers, conventions every section follows."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from config import Settings
from config.schema import (
    SearchSettings,
    StoreSettings,
    default_data_dir,
    section_model,
    user_fields,
)


def _all_models() -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Settings]
    while pending:
        model = pending.pop()
        models.append(model)
        pending += [sub for field in model.model_fields.values() if (sub := section_model(field)) is not None]
    return models


@pytest.mark.parametrize("model", _all_models(), ids=lambda model: model.__name__)
def test_every_model_forbids_unknown_keys_and_documents_every_field(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("store.url", None),
        ("store.auto_migrate", True),
        ("search.backend", "sqlite"),
        ("search.sqlite_path", None),
        ("imports.max_file_mb", 200),
        ("imports.pdf_max_pages", 5000),
        ("imports.index_batch_sections", 5000),
        ("logging.level", "INFO"),
        ("logging.format", "text"),
        ("config_file", None),
    ],
)
def test_defaults(attribute: str, expected: object) -> None:
    value: object = Settings(data_dir=Path("/srv/sepwatch"))
    for part in attribute.split("."):
        value = getattr(value, part)
    assert value == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HOME": "/home/ana"}, Path("/home/ana/.local/share/sepwatch")),
        ({"HOME": "/home/ana", "XDG_DATA_HOME": "/data"}, Path("/data/sepwatch")),
        ({"HOME": "/home/ana", "XDG_DATA_HOME": ""}, Path("/home/ana/.local/share/sepwatch")),
        # The XDG spec: a relative value is invalid and ignored.
        ({"HOME": "/home/ana", "XDG_DATA_HOME": "rel"}, Path("/home/ana/.local/share/sepwatch")),
    ],
)
def test_default_data_dir(env: dict[str, str], expected: Path) -> None:
    assert default_data_dir(env) == expected


def test_import_section_has_the_yaml_key_import_and_the_attribute_imports() -> None:
    assert "import" in user_fields(Settings)
    assert "imports" not in user_fields(Settings)
    by_alias = Settings.model_validate({"data_dir": "/d", "import": {"max_file_mb": 7}})
    assert by_alias.imports.max_file_mb == 7


def test_config_file_is_not_a_user_setting() -> None:
    settings = Settings(data_dir=Path("/d"), config_file=Path("/etc/sepwatch.yaml"))
    assert "config_file" not in user_fields(Settings)
    assert "config_file" not in settings.model_dump()


def test_paths_have_home_expanded() -> None:
    settings = Settings.model_validate({"data_dir": "~/sw", "search": {"sqlite_path": "~/idx.sqlite"}})
    assert settings.data_dir == Path.home() / "sw"
    assert settings.search.sqlite_path == Path.home() / "idx.sqlite"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////var/lib/sepwatch/s.sqlite", "sqlite:////var/lib/sepwatch/s.sqlite"),
        ("postgresql://sw@db/sepwatch", "postgresql+psycopg://sw@db/sepwatch"),
        (
            "postgresql://sw:pw@db:5433/sepwatch?sslmode=require",
            "postgresql+psycopg://sw:pw@db:5433/sepwatch?sslmode=require",
        ),
        ("postgresql+psycopg://sw@db/sepwatch", "postgresql+psycopg://sw@db/sepwatch"),
        ("  postgresql://sw@db/sepwatch ", "postgresql+psycopg://sw@db/sepwatch"),
    ],
)
def test_store_url_accepted_and_normalised(url: str, expected: str) -> None:
    assert StoreSettings(url=url).url == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://sw:hunter2@db/sepwatch", "unsupported database URL scheme 'mysql'"),
        (
            "postgresql+psycopg2://sw:hunter2@db/sepwatch",
            "unsupported database URL scheme 'postgresql+psycopg2'",
        ),
        ("postgres://sw:hunter2@db/sepwatch", "write postgresql://"),
        ("hunter2 is not a url", "not a database URL"),
    ],
)
def test_store_url_rejected_without_echoing_the_password(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        StoreSettings(url=url)
    text = str(caught.value.errors()[0]["msg"])
    assert message in text
    assert "sqlite:///" in text or "postgresql://" in text  # says what is accepted
    assert "hunter2" not in text


def test_elasticsearch_backend_settings() -> None:
    settings = SearchSettings.model_validate(
        {
            "backend": "elasticsearch",
            "elasticsearch_url": "https://es:9200",
            "elasticsearch_password": "s3cr3t-value",
        }
    )
    assert settings.backend == "elasticsearch" and "s3cr3t-value" not in repr(settings)
    with pytest.raises(ValidationError, match="elasticsearch_index_prefix"):
        SearchSettings.model_validate({"elasticsearch_index_prefix": "Upper Case"})


def test_derived_locations_default_to_data_dir() -> None:
    settings = Settings(data_dir=Path("/srv/sw"))
    assert settings.store_url() == "sqlite:////srv/sw/sepwatch.sqlite"
    assert settings.search_sqlite_path() == Path("/srv/sw/search.sqlite")


def test_derived_locations_use_explicit_settings() -> None:
    settings = Settings.model_validate(
        {
            "data_dir": "/srv/sw",
            "store": {"url": "postgresql://sw@db/sepwatch"},
            "search": {"sqlite_path": "/fast/search.sqlite"},
        }
    )
    assert settings.store_url() == "postgresql+psycopg://sw@db/sepwatch"
    assert settings.search_sqlite_path() == Path("/fast/search.sqlite")


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgresql://sw:hunter2@db/sepwatch", "postgresql+psycopg://sw:***@db/sepwatch"),
        ("postgresql+psycopg://sw@db/sepwatch", "postgresql+psycopg://sw@db/sepwatch"),
        (None, "sqlite:////srv/sw/sepwatch.sqlite"),
    ],
)
def test_redacted_store_url(url: str | None, redacted: str) -> None:
    settings = Settings.model_validate({"data_dir": "/srv/sw", "store": {"url": url}})
    assert settings.redacted_store_url() == redacted


def test_repr_does_not_leak_the_store_password() -> None:
    settings = Settings.model_validate({"data_dir": "/d", "store": {"url": "postgresql://sw:hunter2@db/s"}})
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)
    assert "sw:***@db" in repr(settings)


def test_3gpp_groups_are_normalised_and_unknown_ones_rejected() -> None:
    settings = Settings.model_validate({"3gpp": {"groups": ["ran1", "S2", "CT1"]}})
    assert settings.threegpp.groups == ["RAN1", "SA2", "CT1"]
    with pytest.raises(ValidationError, match="unknown 3GPP group 'RAN9'"):
        Settings.model_validate({"3gpp": {"groups": ["RAN9"]}})


def test_source_names_must_be_unique_and_not_a_built_in_spider() -> None:
    feed = {"name": "etsi_news", "url": "https://example.org/rss"}
    listing = {"name": "etsi_news", "url": "https://example.org/", "row": "tr", "title": "td"}
    with pytest.raises(ValidationError, match="'etsi_news' is used twice"):
        Settings.model_validate({"feeds": [feed], "listings": [listing]})
    with pytest.raises(ValidationError, match="'threegpp_tdocs' is used twice"):
        Settings.model_validate({"feeds": [{**feed, "name": "threegpp_tdocs"}]})

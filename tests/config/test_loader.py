"""load_settings: discovery, YAML, environment overrides, path resolution and error messages.

Every test passes ``env=`` explicitly (with HOME pointing into tmp_path) and runs in an empty
current directory, so the developer's own files and environment never leak in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings


@dataclass
class Place:
    home: Path
    cwd: Path
    env: dict[str, str]

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return Place(home=home, cwd=cwd, env={"HOME": str(home)})


def _error(path: Path | None = None, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    return str(caught.value)


# --- Defaults and discovery ---------------------------------------------------------------------


def test_defaults_need_no_file(place: Place) -> None:
    settings = load_settings(env=place.env)
    assert settings.config_file is None
    assert settings == Settings(data_dir=place.home / ".local" / "share" / "sepwatch")
    assert settings.store_url() == f"sqlite:///{place.home}/.local/share/sepwatch/sepwatch.sqlite"


def test_defaults_with_an_empty_env(place: Place, monkeypatch: pytest.MonkeyPatch) -> None:
    # With no HOME in env the loader falls back to Path.home(); point that into tmp_path so a
    # developer's own ~/.config/sepwatch/sepwatch.yaml cannot be discovered.
    monkeypatch.setenv("HOME", str(place.home))
    settings = load_settings(env={})
    assert settings.config_file is None
    assert settings.data_dir == Path.home() / ".local" / "share" / "sepwatch"


def test_data_dir_default_follows_xdg_data_home(place: Place, tmp_path: Path) -> None:
    settings = load_settings(env={**place.env, "XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert settings.data_dir == tmp_path / "xdg" / "sepwatch"


# Which candidate files exist, which env is set, and which file must be read.
DISCOVERY = [
    ("explicit path beats everything", {"explicit", "named", "cwd", "xdg", "dotconfig"}, True, "explicit"),
    ("SEPWATCH_CONFIG beats the current directory", {"named", "cwd", "xdg", "dotconfig"}, False, "named"),
    ("current directory beats XDG_CONFIG_HOME", {"cwd", "xdg", "dotconfig"}, False, "cwd"),
    ("XDG_CONFIG_HOME beats ~/.config", {"xdg", "dotconfig"}, False, "xdg"),
    ("~/.config when XDG_CONFIG_HOME is unset", {"dotconfig"}, False, "dotconfig"),
    ("no file at all", set(), False, None),
]


@pytest.mark.parametrize(
    ("case", "present", "pass_path", "expected"), DISCOVERY, ids=[d[0] for d in DISCOVERY]
)
def test_discovery_order(
    place: Place, tmp_path: Path, case: str, present: set[str], pass_path: bool, expected: str | None
) -> None:
    candidates = {
        "explicit": tmp_path / "explicit" / "given.yaml",
        "named": tmp_path / "named" / "named.yaml",
        "cwd": place.cwd / "sepwatch.yaml",
        "xdg": tmp_path / "xdg" / "sepwatch" / "sepwatch.yaml",
        "dotconfig": place.home / ".config" / "sepwatch" / "sepwatch.yaml",
    }
    for name in present:
        place.write(candidates[name], f"data_dir: /data/{name}\n")
    env = dict(place.env)
    if "named" in present:
        env["SEPWATCH_CONFIG"] = str(candidates["named"])
    if "xdg" in present:
        env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")

    settings = load_settings(candidates["explicit"] if pass_path else None, env=env)

    if expected is None:
        assert settings.config_file is None
        assert settings.data_dir == place.home / ".local" / "share" / "sepwatch"
    else:
        assert settings.config_file == candidates[expected]
        assert settings.data_dir == Path(f"/data/{expected}")


def test_missing_explicit_file_is_an_error(place: Place) -> None:
    message = _error(place.cwd / "nope.yaml", env=place.env)
    assert message == f"{place.cwd / 'nope.yaml'}: configuration file not found"


def test_missing_file_named_by_sepwatch_config_is_an_error(place: Place) -> None:
    message = _error(env={**place.env, "SEPWATCH_CONFIG": "nope.yaml"})
    assert str(place.cwd / "nope.yaml") in message
    assert "SEPWATCH_CONFIG" in message


def test_relative_explicit_path_is_relative_to_the_current_directory(place: Place) -> None:
    place.write(place.cwd / "conf" / "s.yaml", "logging: {level: DEBUG}\n")
    settings = load_settings(Path("conf/s.yaml"), env=place.env)
    assert settings.config_file == place.cwd / "conf" / "s.yaml"
    assert settings.logging.level == "DEBUG"


# --- File contents ------------------------------------------------------------------------------

FULL = """\
data_dir: /srv/sepwatch
store:
  url: postgresql://sw@db.example/sepwatch
  auto_migrate: false
search:
  backend: sqlite
  sqlite_path: /fast/search.sqlite
import:
  max_file_mb: 50
  pdf_max_pages: 800
  index_batch_sections: 250
logging:
  level: WARNING
  format: json
"""


def test_a_full_file(place: Place) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", FULL)
    settings = load_settings(env=place.env)
    assert settings.config_file == path
    assert settings.data_dir == Path("/srv/sepwatch")
    assert settings.store.url == "postgresql+psycopg://sw@db.example/sepwatch"
    assert settings.store.auto_migrate is False
    assert settings.search.backend == "sqlite"
    assert settings.search_sqlite_path() == Path("/fast/search.sqlite")
    assert (settings.imports.max_file_mb, settings.imports.pdf_max_pages) == (50, 800)
    assert settings.imports.index_batch_sections == 250
    assert (settings.logging.level, settings.logging.format) == ("WARNING", "json")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_an_empty_file_means_defaults(place: Place, text: str) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", text)
    settings = load_settings(env=place.env)
    assert settings.model_dump() == load_settings(env={**place.env, "SEPWATCH_CONFIG": ""}).model_dump()
    assert settings.config_file == path


def test_an_empty_section_means_its_defaults(place: Place) -> None:
    place.write(place.cwd / "sepwatch.yaml", "store:\n  # url: postgresql://x@y/z\nlogging:\n")
    settings = load_settings(env=place.env)
    assert settings.store.url is None
    assert settings.logging.level == "INFO"


def test_relative_paths_in_the_file_are_relative_to_its_directory(place: Place, tmp_path: Path) -> None:
    etc = tmp_path / "etc" / "sepwatch"
    path = place.write(
        etc / "sepwatch.yaml",
        """\
        data_dir: data
        store:
          url: sqlite:///db/store.sqlite
        search:
          sqlite_path: ../index/search.sqlite
        """,
    )
    settings = load_settings(path, env=place.env)
    assert settings.data_dir == etc / "data"
    assert settings.search_sqlite_path() == etc / ".." / "index" / "search.sqlite"
    assert settings.store_url() == f"sqlite:///{etc}/db/store.sqlite"


def test_home_is_expanded_in_file_paths(place: Place) -> None:
    place.write(place.cwd / "sepwatch.yaml", "data_dir: ~/sw\nsearch:\n  sqlite_path: ~/idx.sqlite\n")
    settings = load_settings(env=place.env)
    assert settings.data_dir == place.home / "sw"
    assert settings.search_sqlite_path() == place.home / "idx.sqlite"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:////abs/store.sqlite"])
def test_sqlite_urls_without_a_relative_path_are_kept(place: Place, url: str) -> None:
    place.write(place.cwd / "sepwatch.yaml", f"store:\n  url: '{url}'\n")
    assert load_settings(env=place.env).store_url() == url


# --- Environment overrides ----------------------------------------------------------------------


def test_env_overrides_beat_the_file(place: Place) -> None:
    place.write(place.cwd / "sepwatch.yaml", FULL)
    env = {
        **place.env,
        "SEPWATCH_DATA_DIR": "/elsewhere",
        "SEPWATCH_STORE__URL": "postgresql://sw:hunter2@db2/sepwatch",
        "SEPWATCH_STORE__AUTO_MIGRATE": "true",
        "SEPWATCH_IMPORT__MAX_FILE_MB": "5",
        "SEPWATCH_LOGGING__LEVEL": "DEBUG",
    }
    settings = load_settings(env=env)
    assert settings.data_dir == Path("/elsewhere")
    assert settings.store.url == "postgresql+psycopg://sw:hunter2@db2/sepwatch"
    assert settings.store.auto_migrate is True
    assert settings.imports.max_file_mb == 5
    assert settings.logging.level == "DEBUG"
    # not overridden: from the file
    assert settings.imports.pdf_max_pages == 800
    assert settings.logging.format == "json"


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("SEPWATCH_STORE__AUTO_MIGRATE", "false", "store.auto_migrate", False),
        ("SEPWATCH_STORE__AUTO_MIGRATE", "no", "store.auto_migrate", False),
        ("SEPWATCH_IMPORT__PDF_MAX_PAGES", "12", "imports.pdf_max_pages", 12),
        ("sepwatch_import__pdf_max_pages", "12", "imports.pdf_max_pages", 12),
        ("Sepwatch_Logging__Format", "json", "logging.format", "json"),
        # text settings are verbatim: YAML would read "123" as a number and cut " #…" as a comment
        ("SEPWATCH_DATA_DIR", "/srv/123", "data_dir", Path("/srv/123")),
        (
            "SEPWATCH_STORE__URL",
            "postgresql://sw:a #b@db/s",
            "store.url",
            "postgresql+psycopg://sw:a #b@db/s",
        ),
        # an empty value is ignored
        ("SEPWATCH_IMPORT__MAX_FILE_MB", "", "imports.max_file_mb", 200),
    ],
)
def test_env_values(place: Place, name: str, value: str, attribute: str, expected: object) -> None:
    result: object = load_settings(env={**place.env, name: value})
    for part in attribute.split("."):
        result = getattr(result, part)
    assert result == expected


@pytest.mark.parametrize(
    "name", ["SEPWATCH_CONFIG", "SEPWATCH_TEST_PG_URL", "SEPWATCH_TEST_ANYTHING", "SEPWATCH_FAULTPOINT"]
)
def test_reserved_env_names_are_ignored(place: Place, tmp_path: Path, name: str) -> None:
    value = str(place.write(tmp_path / "empty.yaml", "")) if name == "SEPWATCH_CONFIG" else "x"
    load_settings(env={**place.env, name: value})


def test_relative_env_paths_are_relative_to_the_current_directory(place: Place) -> None:
    place.write(place.cwd / "sub" / "sepwatch.yaml", "")
    env = {
        **place.env,
        "SEPWATCH_CONFIG": "sub/sepwatch.yaml",
        "SEPWATCH_DATA_DIR": "data",
        "SEPWATCH_SEARCH__SQLITE_PATH": "~/idx.sqlite",
        "SEPWATCH_STORE__URL": "sqlite:///db.sqlite",
    }
    settings = load_settings(env=env)
    assert settings.data_dir == place.cwd / "data"
    assert settings.search_sqlite_path() == place.home / "idx.sqlite"
    assert settings.store_url() == f"sqlite:///{place.cwd}/db.sqlite"


# --- Errors -------------------------------------------------------------------------------------


def test_unknown_key_in_the_file(place: Place) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", "logging:\n  level: INFO\nstore:\n  urll: x\n")
    assert (
        _error(env=place.env)
        == f"{path}: store.urll (line 4): unknown key; expected one of: url, auto_migrate"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "dta_dir: /x\n",
            "dta_dir (line 1): unknown key; expected one of: data_dir, store, search, import, logging",
        ),
        # the YAML key is import; the Python attribute name is not a second spelling
        (
            "imports: {}\n",
            "imports (line 1): unknown key; expected one of: data_dir, store, search, import, logging",
        ),
        ("config_file: /x\n", "config_file (line 1): unknown key; expected one of: data_dir,"),
        (
            "import:\n  max_file_MB: 3\n",
            "import.max_file_MB (line 2): unknown key; expected one of: max_file_mb,",
        ),
    ],
)
def test_unknown_keys_list_the_allowed_ones(place: Place, text: str, expected: str) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", text)
    assert _error(env=place.env).startswith(f"{path}: {expected}")


def test_unknown_env_variable(place: Place) -> None:
    message = _error(env={**place.env, "SEPWATCH_STORE__URLL": "x"})
    assert message == (
        "environment variable SEPWATCH_STORE__URLL: store.urll: "
        "unknown key; expected one of: url, auto_migrate"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "SEPWATCH_DATADIR",
            "datadir: unknown key; expected one of: data_dir, store, search, import, logging",
        ),
        ("SEPWATCH_CONFIG_FILE", "config_file: unknown key"),
        ("SEPWATCH_STORE", "store is a section; set its keys with SEPWATCH_STORE__<KEY>"),
        ("SEPWATCH_DATA_DIR__X", "data_dir is a single setting, not a section"),
        ("SEPWATCH_STORE____URL", "not a setting name; nest keys with __, e.g. SEPWATCH_STORE__URL"),
        ("SEPWATCH_STORE__", "not a setting name"),
        ("SEPWATCH_", "not a setting name"),
    ],
)
def test_bad_env_variable_names(place: Place, name: str, expected: str) -> None:
    assert _error(env={**place.env, name: "1"}).startswith(f"environment variable {name}: {expected}")


# YAML text, the line the message must carry after "<file>: ".
WRONG_VALUES = [
    ("import:\n  max_file_mb: -5\n", "import.max_file_mb (line 2): expected an integer >= 1, got -5"),
    (
        "import:\n  index_batch_sections: 99\n",
        "import.index_batch_sections (line 2): expected an integer >= 100, got 99",
    ),
    ("import:\n  max_file_mb: lots\n", 'import.max_file_mb (line 2): expected an integer, got "lots"'),
    ("import:\n  max_file_mb: 1.5\n", "import.max_file_mb (line 2): expected an integer, got 1.5"),
    ("import:\n  max_file_mb:\n", "import.max_file_mb (line 2): expected an integer, got an empty value"),
    (
        "store:\n  auto_migrate: sometimes\n",
        'store.auto_migrate (line 2): expected true or false, got "sometimes"',
    ),
    (
        "logging:\n  level: LOUD\n",
        'logging.level (line 2): expected DEBUG, INFO, WARNING or ERROR, got "LOUD"',
    ),
    ("logging:\n  format: xml\n", 'logging.format (line 2): expected text or json, got "xml"'),
    (
        "search:\n  backend: whoosh\n",
        'search.backend (line 2): expected sqlite or elasticsearch, got "whoosh"',
    ),
    (
        "search:\n  elasticsearch_index_prefix: Bad Prefix\n",
        "search.elasticsearch_index_prefix (line 2)",
    ),
    ("data_dir: [a, b]\n", "data_dir (line 1): expected a path, got a list"),
    (
        "store: postgresql://x\n",
        'store (line 1): expected a section (a mapping of keys), got "postgresql://x"',
    ),
    (
        "store:\n  url: mysql://sw:hunter2@db/s\n",
        "store.url (line 2): unsupported database URL scheme 'mysql'; expected sqlite:///PATH, "
        "postgresql://… or postgresql+psycopg://…",
    ),
    # a password typed into the wrong key is not echoed
    ("import:\n  max_file_mb: postgresql://sw:hunter2@db/s\n", 'got "postgresql://sw:***@db/s"'),
    (
        "store:\n  url: sqlite://\n  url: sqlite://\n",
        "store.url (line 2): duplicate key; set again on line 3",
    ),
]


@pytest.mark.parametrize(("text", "expected"), WRONG_VALUES, ids=[w[1][:40] for w in WRONG_VALUES])
def test_wrong_values_in_the_file(place: Place, text: str, expected: str) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", text)
    message = _error(env=place.env)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "hunter2" not in message


def test_wrong_value_from_the_env_names_the_variable(place: Place) -> None:
    place.write(place.cwd / "sepwatch.yaml", "import:\n  max_file_mb: 10\n")
    message = _error(env={**place.env, "SEPWATCH_IMPORT__MAX_FILE_MB": "0"})
    assert message == (
        "environment variable SEPWATCH_IMPORT__MAX_FILE_MB: import.max_file_mb: "
        "expected an integer >= 1, got 0"
    )


def test_every_problem_is_reported_at_once_in_file_order(place: Place) -> None:
    path = place.write(
        place.cwd / "sepwatch.yaml",
        """\
        logging:
          level: LOUD
        store:
          urll: x
        import:
          max_file_mb: 0
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(env={**place.env, "SEPWATCH_SEARCH__BACKEND": "whoosh"})
    assert [line.split(":")[1].strip() for line in caught.value.problems[:3]] == [
        "logging.level (line 2)",
        "store.urll (line 4)",
        "import.max_file_mb (line 6)",
    ]
    assert caught.value.problems[3].startswith(
        "environment variable SEPWATCH_SEARCH__BACKEND: search.backend:"
    )
    assert str(caught.value) == "\n".join(caught.value.problems)
    assert all(line.startswith(f"{path}: ") for line in caught.value.problems[:3])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("store:\n  url: [unclosed\n", "invalid YAML at line 3, column 1"),
        ("store:\n url: a\n  auto_migrate: true\n", "invalid YAML at line 3, column 15"),
        ("a: 1\n---\nb: 2\n", "invalid YAML at line 2, column 1"),
        ("data_dir: !!python/name:os.system\n", "invalid YAML at line 1, column 11"),
    ],
)
def test_yaml_syntax_errors_name_the_file_and_line(place: Place, text: str, expected: str) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", text)
    assert _error(env=place.env).startswith(f"{path}: {expected}: ")


@pytest.mark.parametrize(
    ("text", "given"), [("- a\n- b\n", "a list"), ("just text\n", '"just text"'), ("42\n", "42")]
)
def test_the_top_level_must_be_a_mapping(place: Place, text: str, given: str) -> None:
    path = place.write(place.cwd / "sepwatch.yaml", text)
    assert _error(env=place.env) == (
        f"{path}: expected a mapping of settings (key: value lines) at the top level, got {given}"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.mkdir(), "cannot read the configuration file: Is a directory"),
        (
            lambda path: path.write_bytes(b"data_dir: \xff\xfe\n"),
            "cannot read the configuration file: not UTF-8",
        ),
    ],
)
def test_unreadable_file(place: Place, make: Callable[[Path], object], reason: str) -> None:
    path = place.cwd / "given.yaml"
    make(path)
    assert _error(path, env=place.env).startswith(f"{path}: {reason}")

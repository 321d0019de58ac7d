"""Claim maps: the YAML files IP staff keep per patent (format fixed in DESIGN.md, "Claim maps").

This module owns the data classes, loading with validation, and dumping back to YAML:

- :func:`loads` / :func:`load` parse with PyYAML's safe composer and keep each node's line, so
  that every problem names the file, the line and the key path
  (``claims/cn112345678.yaml:14: claims[0].features[1].maps_to[0].relation: must be one of direct,
  indirect, interpretation (got 'directly')``). All problems are collected, not just the first, and
  raised together as one :class:`ClaimMapError`.
- A claim without ``features`` is split by :func:`matcher.split.split_claim`; the features get ids
  "1A", "1B"… and ``auto=True``; a claim the splitter cannot split becomes one feature and its
  ``split_flag`` says so.
- :func:`load_dir` loads many files and folders; one bad map never stops the others.
- :func:`dump` writes a map back in the DESIGN format (auto features only when asked).

``ClaimMap.digest`` is the SHA-256 of the canonical content (everything but the path, auto features
included): two files that differ only in layout, comments or key order have the same digest, and a
new splitter that splits a claim differently changes it, because what the store holds changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from crawlers.extract import RejectedInput
from crawlers.extract.decode import decode_text
from matcher.split import Alternatives, find_alternatives, split_claim

__all__ = [
    "CLAUSE_PATTERN",
    "FEATURE_ID_PATTERN",
    "RELATIONS",
    "Claim",
    "ClaimMap",
    "ClaimMapError",
    "Feature",
    "MapsTo",
    "Problem",
    "Relation",
    "auto_feature_id",
    "dump",
    "load",
    "load_dir",
    "loads",
    "make_claim",
    "normalise_version",
    "to_data",
]

Relation = Literal["direct", "indirect", "interpretation"]
RELATIONS: tuple[Relation, ...] = get_args(Relation)

MAX_FILE_BYTES = 5 * 2**20
"""A claim map is a few kilobytes; anything past this is not a claim map."""
MAX_PROBLEMS = 100
CLAIM_MAP_SUFFIXES = (".yaml", ".yml")

CLAUSE_PATTERN = re.compile(r"^(?:\d{1,3}[A-Za-z]?|[A-Z])(?:\.\d{1,3}[A-Za-z]?)*$")
"""A clause number: "5.3.5.1", "5.3.3.1a" and "10.4A" (3GPP inserted clauses), "A.2" (annexes), "4"."""
FEATURE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")

_CANONICAL_FORMAT = "sepwatch-claim-map/1"


# ----------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class MapsTo:
    """A known correspondence of a feature with a standard clause (a row of Table B.2)."""

    spec: str
    clause: str
    version: str | None = None
    relation: Relation | None = None
    mandatory: bool | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    """One technical feature; ``auto`` when the splitter made it. ``alternatives`` are the
    "and/or" groups found in its text (derived, never written to YAML)."""

    id: str
    text: str
    terms: tuple[str, ...] = ()
    maps_to: tuple[MapsTo, ...] = ()
    auto: bool = False
    alternatives: Alternatives = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim and its features. ``parent`` is the claim a dependent claim refers to and
    ``preamble`` the text before the transition (both found by the splitter)."""

    number: int
    text: str
    features: tuple[Feature, ...]
    split_flag: str | None = None
    parent: int | None = None
    preamble: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimMap:
    """One patent's claim map. ``digest`` is computed from the content (see the module docstring)."""

    patent: str
    family: tuple[str, ...]
    title: str | None
    owners: tuple[str, ...]
    standards: tuple[str, ...]
    claims: tuple[Claim, ...]
    path: str | None = None
    digest: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", _digest(self))

    def feature(self, feature_id: str) -> Feature | None:
        for claim in self.claims:
            for feature in claim.features:
                if feature.id == feature_id:
                    return feature
        return None

    def targets(self) -> tuple[str, ...]:
        """The standards this map is about: ``standards`` first, then every mapped spec."""
        seen = dict.fromkeys(self.standards)
        for claim in self.claims:
            for feature in claim.features:
                for mapping in feature.maps_to:
                    seen.setdefault(mapping.spec)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a claim map file; ``line`` is 1-based, None when the file as a whole is bad."""

    line: int | None
    key: str
    message: str

    def render(self, name: str) -> str:
        where = f"{name}:{self.line}" if self.line is not None else name
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ClaimMapError(RejectedInput):
    """A claim map that cannot be loaded; ``problems`` lists everything wrong with it."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = [problem.render(path) for problem in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"{path}: … and {len(self.problems) - MAX_PROBLEMS} more problems")
        super().__init__("\n".join(lines))

    def __str__(self) -> str:
        return self.reason


# ----------------------------------------------------------------------------------------------------
# Building


def auto_feature_id(number: int, index: int) -> str:
    """The id of the ``index``-th (0-based) automatic feature: "1A", "1B" … "1Z", "1AA" …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{number}{letters}"


def make_claim(
    number: int, text: str, features: Sequence[Feature] | None = None, taken: set[str] | None = None
) -> Claim:
    """A claim with its explicit ``features``, or split automatically when there are none: ids
    "1A", "1B"… skip those in ``taken`` (the ids used elsewhere in the map), which gets the new ones."""
    split = split_claim(text)
    if features:
        resolved = tuple(
            feature if feature.alternatives else _with_alternatives(feature) for feature in features
        )
        return Claim(number, text, resolved, None, split.parent, split.preamble)
    taken = set() if taken is None else taken
    auto: list[Feature] = []
    index = 0
    for feature_text, alternatives in zip(split.features, split.alternatives, strict=True):
        while (feature_id := auto_feature_id(number, index)) in taken:
            index += 1
        taken.add(feature_id)
        index += 1
        auto.append(Feature(feature_id, feature_text, auto=True, alternatives=alternatives))
    return Claim(number, text, tuple(auto), split.flag, split.parent, split.preamble)


def _with_alternatives(feature: Feature) -> Feature:
    alternatives = find_alternatives(feature.text)
    if not alternatives:
        return feature
    return Feature(feature.id, feature.text, feature.terms, feature.maps_to, feature.auto, alternatives)


def normalise_version(version: str) -> str:
    """Drop the V of "V18.4.0"; other forms ("-16", "2020") unchanged."""
    version = version.strip()
    return version[1:] if re.fullmatch(r"[Vv]\d+(?:\.\d+)*", version) else version


# ----------------------------------------------------------------------------------------------------
# Loading

_TOP_KEYS = ("patent", "family", "title", "owners", "standards", "claims")
_CLAIM_KEYS = ("number", "text", "features")
_FEATURE_KEYS = ("id", "text", "terms", "maps_to")
_MAPS_TO_KEYS = ("spec", "clause", "version", "relation", "mandatory", "note")
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Checker:
    """Walks the composed node tree of one file, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, node: Node | int | None, key: str, message: str) -> None:
        line = _line(node) if isinstance(node, Node) else node
        self.problems.append(Problem(line, key, message))

    def mapping(self, node: Node, path: str, allowed: Sequence[str]) -> dict[str, tuple[Node, Node]] | None:
        if not isinstance(node, MappingNode):
            self.add(node, path, f"must be a mapping of {', '.join(allowed)} (got {_kind(node)})")
            return None
        found: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.add(key_node, path, f"keys must be plain names (got {_kind(key_node)})")
                continue
            key = str(key_node.value)
            where = f"{path}.{key}" if path else key
            if key == "<<":
                self.add(key_node, path or key, "merge keys (<<) are not supported: write the keys out")
            elif key in found:
                self.add(key_node, where, f"duplicate key (first at line {_line(found[key][0])})")
            elif key not in allowed:
                self.add(key_node, where, f"unknown key (expected one of: {', '.join(allowed)})")
            else:
                found[key] = (key_node, value_node)
        return found

    def string(self, value: Node, path: str, *, required: bool) -> str | None:
        """A scalar as written: "18.10" stays "18.10" (not the float 18.1), "4" stays "4"."""
        if isinstance(value, ScalarNode) and value.tag != _NULL:
            text = str(value.value).strip()
            if text:
                return text
            if required:
                self.add(value, path, "must not be empty")
            return None
        if isinstance(value, ScalarNode):
            if required:
                self.add(value, path, "must not be empty")
            return None
        self.add(value, path, f"must be text (got {_kind(value)})")
        return None

    def strings(self, value: Node, path: str) -> tuple[str, ...]:
        """A list of strings; a single string is a list of one."""
        if isinstance(value, ScalarNode):
            single = self.string(value, path, required=False)
            return (single,) if single else ()
        if not isinstance(value, SequenceNode):
            self.add(value, path, f"must be a list of text (got {_kind(value)})")
            return ()
        items: list[str] = []
        for index, item in enumerate(value.value):
            text = self.string(item, f"{path}[{index}]", required=True)
            if text is not None and text not in items:
                items.append(text)
        return tuple(items)

    def sequence(self, value: Node, path: str) -> list[Node]:
        if not isinstance(value, SequenceNode):
            self.add(value, path, f"must be a list (got {_kind(value)})")
            return []
        return list(value.value)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing"
    return repr(str(node.value))


def loads(text: str, name: str) -> ClaimMap:
    """Parse and validate one claim map; ``name`` (the file path) is used in messages and kept in
    ``ClaimMap.path``. Raises :class:`ClaimMapError` listing every problem."""
    return _parse(text, name)[0]


def load(path: Path) -> ClaimMap:
    """Read, parse and validate the claim map file ``path`` (UTF-8, or a legacy encoding such as
    GBK that :func:`crawlers.extract.decode.decode_text` recognises)."""
    return _load(path)[0]


def _load(path: Path) -> tuple[ClaimMap, int]:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ClaimMapError(
                name, [Problem(None, "", f"too large for a claim map: {size} bytes (limit {MAX_FILE_BYTES})")]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ClaimMapError(name, [Problem(None, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        text = decode_text(data)
    except RejectedInput as exc:
        raise ClaimMapError(name, [Problem(None, "", exc.reason)]) from None
    return _parse(text, name)


def _compose(text: str, name: str) -> Node:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(name, exc) from None
    except yaml.YAMLError as exc:
        raise ClaimMapError(name, [Problem(None, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ClaimMapError(name, [Problem(None, "", "invalid YAML: nested too deeply")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ClaimMapError(name, [Problem(None, "", "empty file: no claim map in it")])
    return node


def _yaml_error(name: str, exc: yaml.MarkedYAMLError) -> ClaimMapError:
    mark = exc.problem_mark or exc.context_mark
    line = int(mark.line) + 1 if mark is not None else None
    if exc.problem == "but found another document":
        return ClaimMapError(
            name, [Problem(line, "", "a second YAML document starts here (one claim map per file)")]
        )
    context = exc.context or ""
    if context and exc.context_mark is not None and exc.context_mark.line != getattr(mark, "line", None):
        context += f" (line {int(exc.context_mark.line) + 1})"
    detail = ": ".join(part for part in (context, exc.problem) if part)
    return ClaimMapError(name, [Problem(line, "", f"invalid YAML: {detail}")])


def _parse(text: str, name: str) -> tuple[ClaimMap, int]:
    root = _compose(text, name)
    check = _Checker()
    top = check.mapping(root, "", _TOP_KEYS)
    if top is None:
        raise ClaimMapError(name, check.problems)
    for required in ("patent", "claims"):
        if required not in top:
            check.add(root, required, "required")

    def value(key: str) -> Node | None:
        return top[key][1] if key in top else None

    patent = check.string(node, "patent", required=True) if (node := value("patent")) else None
    title = check.string(node, "title", required=False) if (node := value("title")) else None
    family = check.strings(node, "family") if (node := value("family")) else ()
    owners = check.strings(node, "owners") if (node := value("owners")) else ()
    standards = check.strings(node, "standards") if (node := value("standards")) else ()

    claims_node = value("claims")
    raw_claims: list[tuple[int, str, list[Feature] | None]] = []
    if claims_node is not None:
        items = check.sequence(claims_node, "claims")
        if isinstance(claims_node, SequenceNode) and not items:
            check.add(claims_node, "claims", "must list at least one claim")
        raw_claims = _claims(check, items)

    if check.problems:
        raise ClaimMapError(name, sorted(check.problems, key=lambda p: p.line or 0))
    assert patent is not None  # checked above: required
    taken = {feature.id for _n, _t, features in raw_claims for feature in features or ()}
    claims = tuple(make_claim(number, text, features, taken) for number, text, features in raw_claims)
    cm = ClaimMap(patent, family, title, owners, standards, claims, name)
    patent_line = _line(top["patent"][1])
    return cm, patent_line


def _claims(check: _Checker, items: list[Node]) -> list[tuple[int, str, list[Feature] | None]]:
    numbers: dict[int, int] = {}
    feature_ids: dict[str, int] = {}
    out: list[tuple[int, str, list[Feature] | None]] = []
    for index, item in enumerate(items):
        path = f"claims[{index}]"
        keys = check.mapping(item, path, _CLAIM_KEYS)
        if keys is None:
            continue
        for required in ("number", "text"):
            if required not in keys:
                check.add(item, f"{path}.{required}", "required")
        number = _claim_number(check, keys["number"][1], f"{path}.number") if "number" in keys else None
        if number is not None:
            if number in numbers:
                check.add(
                    keys["number"][1],
                    f"{path}.number",
                    f"claim {number} is already defined at line {numbers[number]}",
                )
            else:
                numbers[number] = _line(keys["number"][1])
        text = check.string(keys["text"][1], f"{path}.text", required=True) if "text" in keys else None
        features: list[Feature] | None = None
        if "features" in keys:
            features = _features(check, keys["features"][1], f"{path}.features", feature_ids)
        if number is not None and text is not None:
            out.append((number, text, features))
    return out


def _claim_number(check: _Checker, node: Node, path: str) -> int | None:
    """A claim number as written: 3 or "3" (decimal digits; YAML's 0o10 and 0x8 are not claim numbers)."""
    if (
        isinstance(node, ScalarNode)
        and node.tag != _NULL
        and re.fullmatch(r"\d{1,4}", str(node.value).strip())
    ):
        number = int(str(node.value))
        if number >= 1:
            return number
    check.add(node, path, f"must be a whole number from 1 (got {_kind(node)})")
    return None


def _features(check: _Checker, node: Node, path: str, seen_ids: dict[str, int]) -> list[Feature] | None:
    items = check.sequence(node, path)
    if isinstance(node, SequenceNode) and not items:
        check.add(
            node, path, "must list at least one feature (leave the key out to split the claim automatically)"
        )
        return None
    features: list[Feature] = []
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        keys = check.mapping(item, where, _FEATURE_KEYS)
        if keys is None:
            continue
        for required in ("id", "text"):
            if required not in keys:
                check.add(item, f"{where}.{required}", "required")
        feature_id = check.string(keys["id"][1], f"{where}.id", required=True) if "id" in keys else None
        if feature_id is not None:
            id_node = keys["id"][1]
            if not FEATURE_ID_PATTERN.match(feature_id):
                check.add(
                    id_node, f"{where}.id", f"must be a short mark such as 1A or 2b.1 (got {feature_id!r})"
                )
                feature_id = None
            elif feature_id in seen_ids:
                check.add(
                    id_node,
                    f"{where}.id",
                    f"feature id {feature_id!r} is already used at line {seen_ids[feature_id]}",
                )
                feature_id = None
            else:
                seen_ids[feature_id] = _line(id_node)
        text = check.string(keys["text"][1], f"{where}.text", required=True) if "text" in keys else None
        terms = check.strings(keys["terms"][1], f"{where}.terms") if "terms" in keys else ()
        maps_to: list[MapsTo] = []
        if "maps_to" in keys:
            for m_index, m_node in enumerate(check.sequence(keys["maps_to"][1], f"{where}.maps_to")):
                mapping = _maps_to(check, m_node, f"{where}.maps_to[{m_index}]")
                if mapping is not None and mapping not in maps_to:
                    maps_to.append(mapping)
        if feature_id is not None and text is not None:
            features.append(Feature(feature_id, text, terms, tuple(maps_to)))
    return features


def _maps_to(check: _Checker, node: Node, path: str) -> MapsTo | None:
    keys = check.mapping(node, path, _MAPS_TO_KEYS)
    if keys is None:
        return None
    before = len(check.problems)
    for required in ("spec", "clause"):
        if required not in keys:
            check.add(node, f"{path}.{required}", "required")
    spec = check.string(keys["spec"][1], f"{path}.spec", required=True) if "spec" in keys else None
    clause = check.string(keys["clause"][1], f"{path}.clause", required=True) if "clause" in keys else None
    if clause is not None and not CLAUSE_PATTERN.match(clause):
        check.add(
            keys["clause"][1],
            f"{path}.clause",
            f"must be a clause number such as 5.3.5.1, A.2 or 4 (got {clause!r})",
        )
    version = (
        check.string(keys["version"][1], f"{path}.version", required=False) if "version" in keys else None
    )
    relation: Relation | None = None
    if "relation" in keys:
        raw = check.string(keys["relation"][1], f"{path}.relation", required=False)
        if raw is not None:
            if raw in RELATIONS:
                relation = raw
            else:
                check.add(
                    keys["relation"][1],
                    f"{path}.relation",
                    f"must be one of {', '.join(RELATIONS)} (got {raw!r})",
                )
    mandatory: bool | None = None
    if "mandatory" in keys:
        m_node = keys["mandatory"][1]
        if isinstance(m_node, ScalarNode) and m_node.tag == _BOOL:
            mandatory = str(m_node.value).lower() in ("true", "yes", "on", "y")
        elif not (isinstance(m_node, ScalarNode) and m_node.tag == _NULL):
            check.add(m_node, f"{path}.mandatory", f"must be true or false (got {_kind(m_node)})")
    note = check.string(keys["note"][1], f"{path}.note", required=False) if "note" in keys else None
    if len(check.problems) > before or spec is None or clause is None:
        return None
    return MapsTo(spec, clause, normalise_version(version) if version else None, relation, mandatory, note)


def load_dir(paths: Sequence[Path]) -> tuple[list[ClaimMap], list[ClaimMapError]]:
    """Every claim map under ``paths`` (files, or folders searched recursively for .yaml/.yml,
    hidden folders skipped), in path order. A file that fails is reported and the others load; a
    second map of a patent already loaded is an error of the later file."""
    maps: list[ClaimMap] = []
    errors: list[ClaimMapError] = []
    owners: dict[str, str] = {}
    for path in _expand(paths):
        if not path.exists():
            errors.append(ClaimMapError(str(path), [Problem(None, "", "no such file or folder")]))
            continue
        try:
            cm, patent_line = _load(path)
        except ClaimMapError as exc:
            errors.append(exc)
            continue
        if cm.patent in owners:
            problem = Problem(patent_line, "patent", f"{cm.patent} is already mapped in {owners[cm.patent]}")
            errors.append(ClaimMapError(str(path), [problem]))
            continue
        owners[cm.patent] = str(path)
        maps.append(cm)
    return maps, errors


def _expand(paths: Sequence[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in CLAIM_MAP_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            found = [path]
        for item in found:
            if item not in seen:
                seen.add(item)
                yield item


# ----------------------------------------------------------------------------------------------------
# Dumping and the digest


class _Flow(list[Any]):
    pass


class _FlowMap(dict[str, Any]):
    pass


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # lists indented under their key, as in DESIGN.md


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowMap, _represent_flow_map)


def _maps_to_dict(mapping: MapsTo) -> dict[str, Any]:
    out: dict[str, Any] = {"spec": mapping.spec, "clause": mapping.clause}
    for key in ("version", "relation", "mandatory", "note"):
        value = getattr(mapping, key)
        if value is not None:
            out[key] = value
    return out


def _writes_features(claim: Claim, include_auto_features: bool) -> bool:
    return include_auto_features or any(
        not feature.auto or feature.maps_to or feature.terms for feature in claim.features
    )


def to_data(cm: ClaimMap, include_auto_features: bool = False) -> dict[str, Any]:
    """The map as plain data in the YAML layout (what :func:`dump` writes)."""
    data: dict[str, Any] = {"patent": cm.patent}
    if cm.family:
        data["family"] = list(cm.family)
    if cm.title:
        data["title"] = cm.title
    if cm.owners:
        data["owners"] = list(cm.owners)
    if cm.standards:
        data["standards"] = list(cm.standards)
    claims: list[dict[str, Any]] = []
    for claim in cm.claims:
        item: dict[str, Any] = {"number": claim.number, "text": claim.text}
        if claim.features and _writes_features(claim, include_auto_features):
            features = []
            for feature in claim.features:
                entry: dict[str, Any] = {"id": feature.id, "text": feature.text}
                if feature.terms:
                    entry["terms"] = list(feature.terms)
                if feature.maps_to:
                    entry["maps_to"] = [_maps_to_dict(m) for m in feature.maps_to]
                features.append(entry)
            item["features"] = features
        claims.append(item)
    data["claims"] = claims
    return data


def _flowed(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("family", "owners", "standards"):
        if key in out:
            out[key] = _Flow(out[key])
    claims = []
    for claim in out["claims"]:
        claim = dict(claim)
        if "features" in claim:
            features = []
            for feature in claim["features"]:
                feature = dict(feature)
                if "terms" in feature:
                    feature["terms"] = _Flow(feature["terms"])
                if "maps_to" in feature:
                    feature["maps_to"] = [_FlowMap(m) for m in feature["maps_to"]]
                features.append(feature)
            claim["features"] = features
        claims.append(claim)
    out["claims"] = claims
    return out


def dump(cm: ClaimMap, include_auto_features: bool = False) -> str:
    """The map as YAML in the DESIGN layout; :func:`loads` reads it back to an equal map (auto
    features come back by splitting again, or as explicit features when ``include_auto_features``)."""
    text = yaml.dump(
        _flowed(to_data(cm, include_auto_features)),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return str(text)


def _digest(cm: ClaimMap) -> str:
    canonical = {
        "format": _CANONICAL_FORMAT,
        "patent": cm.patent,
        "family": list(cm.family),
        "title": cm.title,
        "owners": list(cm.owners),
        "standards": list(cm.standards),
        "claims": [
            {
                "number": claim.number,
                "text": claim.text,
                "split_flag": claim.split_flag,
                "features": [
                    {
                        "id": f.id,
                        "text": f.text,
                        "terms": list(f.terms),
                        "auto": f.auto,
                        "maps_to": [_maps_to_dict(m) for m in f.maps_to],
                    }
                    for f in claim.features
                ],
            }
            for claim in cm.claims
        ],
    }
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()

"""Read a study's de-identification key file and check it; the key a study declares.

The key file's format and how its entries are matched are described in
:mod:`peerstudy.cleaning.deid`. Every problem in a key file is reported at once, and no
message quotes an entry (they name people).

Examples
--------
>>> key = read_key("data/raw/professional-interviews/deid-key.yaml", regions=["kr"])
>>> key.participants["Min-seo"], key.regions
('P1', ('KR',))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from peerstudy.cleaning.deid import DEFAULT_REGIONS, DeidKey
from peerstudy.cleaning.keymatch import fold_entry
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["read_key", "study_key"]


def read_key(path: str | Path, *, regions: Iterable[str] | None = None) -> DeidKey:
    """Read and check a key file; every problem is reported at once.

    Parameters
    ----------
    path
        The key file (YAML), relative to the project root or absolute.
    regions
        Regions (ISO 3166 codes such as ``KR``) whose phone numbers are looked for;
        default :data:`DEFAULT_REGIONS`.

    Examples
    --------
    >>> read_key("data/raw/professional-interviews/deid-key.yaml").participants["Min-seo"]
    'P1'
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    # as written: a pseudonym 001 is not the number 1, a place called No is not false
    doc = read_yaml(p, what="a de-identification key (YAML)", parameter="deid_key", texts=True)
    if not isinstance(doc, dict):
        raise InputError(
            Problem(
                file=shown,
                expected="a mapping with participants, names, places",
                found=repr(doc),
                fix="write the key as in the module's example: participants: {name: pseudonym}, "
                "names: [...], places: [...]",
            )
        )
    problems: list[Problem] = []
    participants = _read_participants(doc, shown, problems)
    lists = {key: _read_entries(doc, key, shown, problems) for key in ("names", "places")}
    problems += _duplicate_entries(
        shown, {"participants": participants, "names": lists["names"], "places": lists["places"]}
    )
    chosen = _check_regions(shown, regions, problems)
    if problems:
        raise InputError(problems)
    return DeidKey(
        participants={k.strip(): v for k, v in participants.items()},
        names=lists["names"],
        places=lists["places"],
        file=shown,
        regions=chosen,
    )


def _read_participants(doc: dict[Any, Any], shown: str, problems: list[Problem]) -> dict[str, str]:
    """The key's ``participants`` ({name: pseudonym}), or none (with a problem added)."""
    participants = doc.get("participants") or {}
    if not isinstance(participants, dict) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in participants.items()
    ):
        problems.append(
            Problem(
                file=shown,
                field="participants",
                expected="a mapping of name → pseudonym (text)",
                found=f"a {type(participants).__name__} of {len(participants)} entries (not shown: they name people)",
                fix="write one 'name: pseudonym' line per way a participant is named",
            )
        )
        return {}
    return participants


def _read_entries(doc: dict[Any, Any], key: str, shown: str, problems: list[Problem]) -> tuple[str, ...]:
    """The key's list ``key`` (``names`` or ``places``), trimmed; a problem for entries
    that are empty or not text (the good ones are kept)."""
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        bad = (
            [i + 1 for i, v in enumerate(value) if not (isinstance(v, str) and v.strip())]
            if isinstance(value, list)
            else []
        )
        problems.append(
            Problem(
                file=shown,
                field=key,
                expected="a list of non-empty texts",
                found=f"entries {bad} empty or not text" if bad else f"a {type(value).__name__}",
                fix=f"write {key} as a YAML list, one entry per line starting with '- '",
            )
        )
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip()) if isinstance(value, list) else ()


def _duplicate_entries(shown: str, groups: Mapping[str, Iterable[str]]) -> list[Problem]:
    """An entry listed under two headings (compared as they are matched: case, spaces and
    Unicode form aside); the message quotes the heading, never the entry."""
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for kind, values in groups.items():
        for number, value in enumerate(values, 1):
            folded = fold_entry(value)
            if folded in seen and seen[folded][0] != kind:
                problems.append(
                    Problem(
                        file=shown,
                        field=kind,
                        expected="each identifier listed once",
                        found=f"entry {number} also under {seen[folded][0]} (entry {seen[folded][1]})",
                        fix="keep it under one heading",
                    )
                )
            seen.setdefault(folded, (kind, number))
    return problems


def _check_regions(shown: str, regions: Iterable[str] | None, problems: list[Problem]) -> tuple[str, ...]:
    import phonenumbers

    if regions is None:
        return DEFAULT_REGIONS
    chosen = tuple(str(r).strip().upper() for r in regions)
    unknown = [r for r in chosen if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown or not chosen:
        problems.append(
            Problem(
                file=shown or None,
                field="phone_regions",
                expected="ISO 3166 region codes such as KR, HK, US",
                found=", ".join(map(repr, unknown)) or "none",
                fix="correct the study's phone_regions (or leave it empty for the default)",
            )
        )
    return chosen or DEFAULT_REGIONS


def study_key(deid_key: str | Path | None = None, phone_regions: Iterable[str] | None = None) -> DeidKey:
    """The de-identification key a study declares (its ``deid_key`` and
    ``phone_regions`` parameters): the key file read and checked, or, when the study
    names none, a key without entries that still removes phone numbers, e-mail, URL and
    IP addresses.

    Examples
    --------
    >>> from peerstudy.cleaning.deid import DEFAULT_REGIONS
    >>> study_key("", ["kr"]).regions, study_key().regions == DEFAULT_REGIONS
    (('KR',), True)
    """
    regions = list(phone_regions) if phone_regions else None
    if deid_key:
        return read_key(deid_key, regions=regions)
    problems: list[Problem] = []
    chosen = _check_regions("", regions, problems)
    if problems:
        raise ConfigError(problems)
    return DeidKey(regions=chosen)

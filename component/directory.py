"""In-memory view of the sites and their operators, with the look-ups the desk needs.

Pure: built from values loaded by storage/, replaced wholesale when settings are reloaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from component.models import Operator, Site


@dataclass(frozen=True, slots=True)
class DirectoryChange:
    """What a reload changed: memberships added and removed, as (site, operator) pairs."""

    added: tuple[tuple[Site, Operator], ...]
    removed: tuple[tuple[Site, Operator], ...]
    deleted_sites: tuple[Site, ...] = ()


class Directory:
    def __init__(self, sites: Iterable[Site] = (), operators: Iterable[Operator] = ()) -> None:
        self._sites_by_slug = {site.slug: site for site in sites}
        self._sites_by_id = {site.id: site for site in self._sites_by_slug.values()}
        self._operators: dict[tuple[int, str], Operator] = {
            (op.site_id, op.jid): op for op in operators if op.site_id in self._sites_by_id
        }
        self._sites_of: dict[str, list[int]] = {}
        for site_id, jid in self._operators:
            self._sites_of.setdefault(jid, []).append(site_id)

    def site(self, slug: str) -> Site | None:
        return self._sites_by_slug.get(slug)

    def site_by_id(self, site_id: int) -> Site:
        return self._sites_by_id[site_id]

    def site_by_id_or_none(self, site_id: int) -> Site | None:
        return self._sites_by_id.get(site_id)

    def sites(self) -> Iterator[Site]:
        return iter(self._sites_by_id.values())

    def operator(self, site_id: int, jid: str) -> Operator | None:
        return self._operators.get((site_id, jid))

    def operators(self, site_id: int | None = None) -> Iterator[Operator]:
        for op in self._operators.values():
            if site_id is None or op.site_id == site_id:
                yield op

    def memberships(self, jid: str) -> Iterator[tuple[Site, Operator]]:
        """Every site the operator belongs to, with their membership there."""
        for site_id in self._sites_of.get(jid, ()):
            yield self._sites_by_id[site_id], self._operators[(site_id, jid)]

    def is_operator(self, jid: str) -> bool:
        return jid in self._sites_of

    def update_operator(self, operator: Operator) -> None:
        """Replace one membership's runtime values (last assignment, subscription)."""
        self._operators[(operator.site_id, operator.jid)] = operator

    def record_assignment(self, site_id: int, jid: str, at: float) -> None:
        operator = self._operators.get((site_id, jid))
        if operator is not None:
            self._operators[(site_id, jid)] = replace(operator, last_assigned_at=at)

    def same_as(self, other: Directory) -> bool:
        """True when both hold the same sites and memberships with the same values."""
        return self._sites_by_id == other._sites_by_id and self._operators == other._operators

    def diff(self, newer: Directory) -> DirectoryChange:
        old_keys, new_keys = set(self._operators), set(newer._operators)
        return DirectoryChange(
            added=tuple(
                (newer.site_by_id(key[0]), newer._operators[key])
                for key in sorted(new_keys - old_keys)
            ),
            removed=tuple(
                (self.site_by_id(key[0]), self._operators[key])
                for key in sorted(old_keys - new_keys)
            ),
            deleted_sites=tuple(
                site
                for site_id, site in self._sites_by_id.items()
                if site_id not in newer._sites_by_id
            ),
        )

"""The convention's life after its labellisation, computed in one place: when the
feuille de route is due, when the convention ends, and what its signed avenants change.

Article 1: the feuille de route is due within 6 months of the labellisation. Article 4:
the convention lasts 24 months from the labellisation, and may be extended by avenant.
An avenant is in force once it is dated (signed).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import programme
from .model import Avenant, Territory


def today() -> dt.date:
    """Today as the acts count it: the machine's date, or Paris's when it is already the
    next day there (the time of an electronic signature is read in Europe/Paris: signed
    at 0:30 in Paris, it is not « à venir » on a machine that still says 23:30 UTC)."""
    from zoneinfo import ZoneInfo

    return max(dt.date.today(), dt.datetime.now(ZoneInfo("Europe/Paris")).date())


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def roadmap_due(territory: Territory) -> dt.date:
    """The date the feuille de route is due (Article 1)."""
    return add_months(territory.labellisation, programme.ROADMAP_DELAY_MONTHS)


def in_force(territory: Territory, on: dt.date | None = None) -> list[Avenant]:
    """The avenants signed (dated), in their order; those signed by `on` if given."""
    return [a for a in territory.avenants
            if isinstance(a.date, dt.date) and (on is None or a.date <= on)]


@dataclass
class RoadmapVersion:
    """The feuille de route as it stands: the one of the territory file, or the last
    revision an avenant in force annexed (`revised_by`), and its signature."""

    date: dt.date | None  # None (or a missing fact) until signed
    lieu: Any
    exemplaires: int | None
    revised_by: Avenant | None

    @property
    def signed(self) -> bool:
        """A revised feuille de route is signed with its avenant."""
        if self.revised_by is not None:
            return isinstance(self.revised_by.date, dt.date)
        return isinstance(self.date, dt.date)


def roadmap(territory: Territory) -> RoadmapVersion:
    """The feuille de route in force: the last revision a signed avenant annexed."""
    revisions = [a for a in in_force(territory) if a.objet == "feuille_de_route"]
    return roadmap_version(territory, revisions[-1] if revisions else None)


def roadmap_version(territory: Territory, revised_by: Avenant | None) -> RoadmapVersion:
    """The feuille de route of the territory file (`revised_by` None), or the revision
    annexed to an avenant."""
    if revised_by is not None:
        return RoadmapVersion(revised_by.feuille_de_route, revised_by.lieu,
                              revised_by.exemplaires, revised_by)
    own = territory.feuille_de_route
    return RoadmapVersion(own.date, own.lieu, own.exemplaires, None)


def duration_months(territory: Territory, avenants: list[Avenant] | None = None) -> int:
    """The convention's duration from its labellisation, as the avenants (by default
    those in force) have extended it (Article 4)."""
    months = programme.VALIDITY_MONTHS
    for avenant in in_force(territory) if avenants is None else avenants:
        if avenant.objet == "prolongation" and isinstance(avenant.duree_mois, int):
            months = avenant.duree_mois
    return months


def end_of_validity(territory: Territory, avenants: list[Avenant] | None = None) -> dt.date:
    return add_months(territory.labellisation, duration_months(territory, avenants))


def current(territory: Territory, field: str, avenants: list[Avenant] | None = None) -> Any:
    """The chef de file or the pilotage (`field`) as the avenants (by default those in
    force) have changed it."""
    value = getattr(territory, field)
    for avenant in in_force(territory) if avenants is None else avenants:
        if avenant.objet == field:
            value = getattr(avenant, field)
    return value

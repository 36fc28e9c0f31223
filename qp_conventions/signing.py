"""`qp sign`: record that a convention was signed. The territory file says so
(`statut: signee`, `signature.date`, the rest of the file untouched), and the document
that was signed is archived under out/signees/ with the record of its text (see
documents.py): from then on, the convention changes only by avenant."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from . import documents
from .errors import ERROR, InvalidTerritory, QPError, describe_os_error
from .output import locked, prepare_folder, write_atomic
from .render import CONVENTION, render_blocks
from .validate import ROADMAP_PARTS, check_file
from .yaml_edit import edit_file


@dataclass
class Signed:
    archive: Path
    territory_file: Path


def sign(path: Path, day: dt.date, out: Path, *, today: dt.date, wait: float = 60) -> Signed:
    """Sign the convention of the territory file `path` on `day`. Refused, with what is
    wrong, if the file has errors, if a fact of the convention is still to complete, if
    the date is impossible, or if the convention is already archived."""
    slug = path.stem
    checked = check_file(path)
    if checked.errors:
        raise InvalidTerritory(checked.errors)
    territory = checked.territory
    kept = documents.record(out, slug)
    if kept is not None:
        raise QPError(f"la convention de {slug} est déjà signée (le {kept['signee_le']}) et "
                      f"archivée sous {out / documents.ARCHIVE} : une modification passe par "
                      "un avenant")
    if day > today:
        raise QPError(f"date de signature à venir ({day:%d/%m/%Y}) : qp sign enregistre une "
                      "signature faite")
    if day < territory.labellisation:
        raise QPError(f"la signature ({day:%d/%m/%Y}) ne peut précéder la labellisation "
                      f"({territory.labellisation:%d/%m/%Y})")
    blocking = [replace(p, severity=ERROR, message=p.message.replace(
                    "à compléter :", "à compléter avant de signer :", 1))
                for p in checked.warnings if p.field.split(".")[0].split("[")[0]
                not in ROADMAP_PARTS]  # a signed convention is complete (not its annexes)
    if blocking:
        raise InvalidTerritory(blocking)
    new_text = edit_file(path, {("statut",): "signee", ("signature", "date"): day.isoformat()})
    signed = check_file(path, new_text.lstrip("\ufeff").replace("\r\n", "\n"))
    if signed.errors:  # what a signed convention may not leave to complete
        raise InvalidTerritory(signed.errors)
    made, _ = documents.build(signed, out, roadmap=False)
    prepare_folder(out)
    with locked(out, wait, lambda: None):
        archived = documents.archive(out, slug, day, made[0].data,
                                     render_blocks(signed.territory, CONVENTION))
        try:
            write_atomic(path, new_text.encode("utf-8"))
        except (OSError, QPError) as exc:  # the file says nothing of it: no archive either
            for kept_file in (archived, archived.with_suffix(".json")):
                with contextlib.suppress(OSError):
                    kept_file.unlink()
            why = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            raise QPError(f"écriture impossible de {path} ({why}) : rien n'a été signé") from None
    return Signed(archived, path)

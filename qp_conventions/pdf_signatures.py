"""A signed PDF that comes back from a parapheur, verified with pyHanko before `qp sign`
records anything: every signature intact, valid and followed only by other signatures;
the signed content the act qp wrote (byte for byte, or by its text); one signature per
signatory; the certificate chain against a trust list when one is given.

What is not verified: the revocation of the certificates (no network), and, without a
trust list, that a certificate was issued by an authority anyone trusts."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import re
import unicodedata
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from .errors import QPError, describe_os_error
from .files import MAX_SIGNED_PDF, NotReadable, read_regular
from .french import elides
from .pdf import FIELD_PREFIX, quiet_pyhanko

PARIS = ZoneInfo("Europe/Paris")
UNVERIFIED_CHAIN = "chaîne de certificats non vérifiée"
BY_BYTES = "octets"  # the first revision is, byte for byte, a PDF qp wrote
BY_TEXT = "texte"  # a PDF re-written by the parapheur: its text is the act's


@dataclass
class Signer:
    party: str  # the signatory this signature stands for (« Etat »)
    name: str  # as the certificate says it
    issuer: str
    signed_at: str  # ISO 8601, Europe/Paris
    field: str


@dataclass
class Verification:
    sha256: str  # of the signed PDF
    signers: list[Signer]
    origin: str  # BY_BYTES or BY_TEXT
    chain: str  # UNVERIFIED_CHAIN, or the trust list it was checked against
    day: dt.date  # of the last signature, in Europe/Paris
    warnings: list[str] = field(default_factory=list)
    data: bytes = field(default=b"", repr=False)  # the signed PDF, as verified

    def record(self) -> dict:
        """What the archive's record keeps of it."""
        return {"sha256": self.sha256, "signataires": [asdict(s) for s in self.signers],
                "controles": {"signatures": "intactes et valides, couvrant le document ou "
                                            "suivies seulement d'autres signatures",
                              "contenu": ("premiere revision identique octet pour octet au "
                                          "PDF ecrit par qp" if self.origin == BY_BYTES else
                                          "texte identique a celui de l'acte"),
                              "signataires": "une signature par signataire",
                              "chaine": self.chain},
                "avertissements": self.warnings}


@dataclass
class Signatory:
    party: str  # as the signature field names it
    people: list[str]  # whose certificate names would match (« Jean-Luc Moudenc »)


def begins_with(data: bytes, written: list[dict]) -> bool:
    """Whether the signed PDF `data` is one of the PDFs of fingerprints `written` (its
    first revision, byte for byte) with signatures added after it."""
    return any(len(data) > f["octets"]
               and hashlib.sha256(data[:f["octets"]]).hexdigest() == f["sha256"]
               for f in written)


def read_pdf(path: Path) -> bytes:
    """The bytes of the PDF `path`: a regular file of at most MAX_SIGNED_PDF bytes (a pipe
    would block, a device never end), checked before reading it."""
    try:
        data = read_regular(path, MAX_SIGNED_PDF)
    except NotReadable as exc:
        raise QPError(f"{path} : {exc} ; qp lit un PDF signé") from None
    except OSError as exc:
        raise QPError(f"{path} : lecture impossible ({describe_os_error(exc)})") from None
    if b"%PDF-" not in data[:1024]:
        raise QPError(f"{path} n'est pas un PDF")
    if _inflated(data, MAX_INFLATED) > MAX_INFLATED:
        raise QPError(f"{path} : PDF démesuré (plus de {MAX_INFLATED // (1024 * 1024)} Mo une "
                      "fois décompressé) : ce n'est pas un acte écrit par qp")
    return data


# What the compressed streams of a signed PDF may hold once inflated, all together: qp's
# hold 0.2 MB (the text, its fonts, the logos); pyHanko, qpdf and pdfminer
# inflate each stream whole (a 1 MB PDF holding 1 GB of spaces took 12 s and 2 GB).
MAX_INFLATED = 50 * 1024 * 1024
STREAM = re.compile(rb"stream\r?\n")


def _inflated(data: bytes, limit: int) -> int:
    """How many bytes the deflated streams of the PDF `data` inflate to, counted no
    further than just beyond `limit`. Each stream is found by its keyword and inflated
    from there to its own end, whatever its /Length says; the data of another filter (an
    image) stops at once."""
    total = 0
    for found in STREAM.finditer(data):
        inflater = zlib.decompressobj()
        rest = memoryview(data)[found.end():]
        offset = 0
        try:
            while not inflater.eof and offset < len(rest) and total <= limit:
                piece = rest[offset:offset + CHUNK]
                offset += len(piece)
                total += len(inflater.decompress(piece, CHUNK))
                while inflater.unconsumed_tail and total <= limit:  # (a piece gives more)
                    total += len(inflater.decompress(inflater.unconsumed_tail, CHUNK))
        except zlib.error:  # (not deflated data)
            pass
        if total > limit:
            break
    return total


CHUNK = 64 * 1024


def verify_signed_pdf(path: Path, written: list[dict],
                      act_texts: Callable[[dt.date], tuple[list[str], list[str] | None]],
                      signatories: list[Signatory], what: str,
                      trust: Path | None = None) -> Verification:
    """Verify the signed PDF at `path`, or refuse it (QPError) saying why. `written`: the
    fingerprints ({sha256, octets}) of the PDFs qp wrote for the act; `act_texts(day)`:
    the act's text (line by line) as it is now, and as it will be once signed on `day`
    (None if it cannot be); `what`: the act, as the messages name it (« la convention de
    toulouse »)."""
    data = read_pdf(path)
    statuses = _signatures(path, data, trust)
    problems = []
    for sig, status in statuses:
        who = _common_name(status.signing_cert)
        if not status.intact:
            problems.append(f"la signature de {who} ne correspond plus au document : le PDF a "
                            "été modifié après sa signature")
        elif not status.valid:
            problems.append(f"la signature de {who} n'est pas valide")
        elif not _only_signatures_after(status):
            problems.append(f"le PDF a été modifié après la signature de {who} (autre chose "
                            "que des signatures ajoutées)")
    if problems:
        raise QPError(f"{path} refusé : " + " ; ".join(problems))
    times = [_signed_at(status) for _, status in statuses]
    day = max(times).date()
    origin, differences = _origin(data, written, act_texts(day), path, what)
    signers, warnings = _match(path, statuses, times, signatories)
    warnings += differences
    if trust is not None:
        untrusted = [_common_name(status.signing_cert) for _, status in statuses
                     if not status.trusted]
        if untrusted:
            raise QPError(f"{path} refusé : certificat de {', '.join(untrusted)} non reconnu par "
                          f"la liste de confiance {trust} (chaîne de certificats invalide)")
    chain = f"chaîne de certificats vérifiée ({trust.name})" if trust else UNVERIFIED_CHAIN
    return Verification(hashlib.sha256(data).hexdigest(), signers, origin, chain, day, warnings,
                        data)


@contextlib.contextmanager
def _quiet():
    """pyHanko logs, with a traceback, every certificate it cannot trust: what qp says
    of it is enough."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    before = [logger.level for logger in loggers]
    for logger in loggers:  # (their modules' loggers inherit the level)
        logger.setLevel(logging.CRITICAL + 1)
    try:
        with quiet_pyhanko():
            yield
    finally:
        for logger, level in zip(loggers, before):
            logger.setLevel(level)


def _signatures(path: Path, data: bytes, trust: Path | None) -> list:
    """Each signature of the PDF with its validation status, in their order."""
    with _quiet():
        from pyhanko.keys import load_certs_from_pemder
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        roots = []
        if trust is not None:
            try:
                roots = list(load_certs_from_pemder([str(trust)]))
            except OSError as exc:
                raise QPError(f"--confiance {trust} : lecture impossible "
                              f"({describe_os_error(exc)})") from None
            except Exception:  # (asn1crypto and pyHanko raise several kinds)
                roots = []
            if not roots:
                raise QPError(f"--confiance {trust} : aucun certificat lisible (fichier PEM "
                              "de certificats attendu)")
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            if reader.encrypted:
                raise QPError(f"{path} est chiffré : demandez au parapheur le PDF signé sans "
                              "mot de passe")
            signatures = reader.embedded_regular_signatures
            if not signatures:
                raise QPError(f"{path} n'est pas signé : aucune signature électronique")
            statuses = []
            for sig in signatures:
                # no network: revocation is not looked up (soft-fail), nothing is fetched
                context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                            revocation_mode="soft-fail")
                statuses.append((sig, validate_pdf_signature(sig, context)))
            return statuses
        except QPError:
            raise
        except Exception as exc:  # whatever pyHanko meets in a damaged file
            raise QPError(f"{path} : PDF endommagé ou illisible ({_short(exc)})") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 150 else text[:149] + "…"


def _only_signatures_after(status) -> bool:
    """The signature covers the whole file, or what follows only adds signatures (and
    their validation data)."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return (status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.docmdp_ok is not False
            and status.modification_level is not None
            and status.modification_level <= ModificationLevel.FORM_FILLING)


def _signed_at(status) -> dt.datetime:
    """When a signature was made: its timestamp if it has one, else the time its signer
    reports, in Europe/Paris."""
    when = status.timestamp_validity.timestamp if status.timestamp_validity else \
        status.signer_reported_dt
    if when is None:
        raise QPError("une signature du PDF ne dit pas quand elle a été faite : PDF refusé")
    return when.astimezone(PARIS)


def _common_name(certificate) -> str:
    subject = certificate.subject.native
    return subject.get("common_name") or certificate.subject.human_friendly


def _origin(data: bytes, written: list[dict], texts: tuple[list[str], list[str] | None],
            path: Path, what: str) -> tuple[str, list[str]]:
    """How the signed content is the act (BY_BYTES or BY_TEXT), and what to warn of;
    refused if it is not. `texts`: the act's text as the territory file says it now, and
    as it will say once signed (None if it cannot be). The text is read in both cases: a
    PDF qp wrote may be of an earlier version of the act."""
    by_bytes = begins_with(data, written)
    pages = _page_texts(data)
    now, then = texts
    if then is not None and _same_text(then, pages):
        return (BY_BYTES if by_bytes else BY_TEXT), []
    if not _same_text(now, pages):
        if by_bytes:
            missing = _first_line_not_in(now, pages)
            if missing and len(missing) > 120:  # (cut between two words)
                missing = missing[:120].rsplit(" ", 1)[0] + "…"
            said = f" : « {missing} » n'y est pas" if missing else ""
            raise QPError(f"{path} est un PDF que qp a écrit pour {what}, mais d'une version "
                          f"antérieure : son texte n'est plus celui du fichier du territoire"
                          f"{said}. Si les signataires ont changé depuis (une élection), "
                          "inscrivez ceux qui ont signé sous la rubrique signataires de "
                          "l'acte ; rien n'a été changé")
        raise QPError(f"{path} n'est pas {what} : ce n'est aucun des PDF que qp a écrits pour "
                      "elle, et son texte n'est pas le sien (un autre acte, un autre "
                      "territoire, ou un texte modifié)")
    warnings = [f"le PDF signé dit « {old} », le document archivé dira « {new} » (la date de "
                "la dernière signature)"
                for old, new in zip(now, then or []) if old != new]
    return (BY_BYTES if by_bytes else BY_TEXT), warnings


def _bare(text: str) -> str:
    """Text without what a PDF's layout changes: spaces and line ends, bullets (drawn
    from a symbol font), soft hyphens."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if not c.isspace() and c not in "\u00ad•"
                   and unicodedata.category(c) != "Co")


def _page_texts(data: bytes) -> list[str]:
    """The text of each page, without what LibreOffice adds to the act's text on every
    page (the footer « Page 1 sur 6 », a draft's « PROJET »)."""
    import re

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    pages = []
    for layout in extract_pages(io.BytesIO(data)):
        text = "\n".join(element.get_text() for element in layout
                         if isinstance(element, LTTextContainer))
        text = re.sub(r"Page \d+ sur \d+|\bPROJET\b", " ", text)
        pages.append(_bare(text))
    return pages


def _same_text(lines: list[str], pages: list[str]) -> bool:
    """Whether the first pages of a PDF hold exactly the act's text (`lines`, as
    documents.convention_text gives it): its paragraphs in their order, and the cells of
    its tables and columns (which a PDF may read across or down), nothing more."""
    ordered, cells = [], []
    for line in lines:
        pieces = [p for p in (line.split(" / ") if " / " in line else line.split(" | "))]
        if len(pieces) == 1:
            ordered.append(_bare(line))
        else:  # (« … »: a column's space left to sign)
            cells += [_bare(p) for p in pieces if p.strip() not in ("…", "")]
    size = sum(map(len, ordered)) + sum(map(len, cells))
    text = ""
    for page in pages:
        text += page
        if len(text) < size:
            continue
        if len(text) > size:
            return False
        position = 0
        for piece in ordered:
            position = text.find(piece, position)
            if position < 0:
                return False
            position += len(piece)
        return all(cell in text for cell in cells)
    return False


def _first_line_not_in(lines: list[str], pages: list[str]) -> str | None:
    """The first of the act's lines (its cells too) that the PDF's text does not hold, in
    the act's order."""
    text, position = "".join(pages), 0
    for line in lines:
        for piece in (line.split(" / ") if " / " in line else line.split(" | ")):
            bare = _bare(piece)
            if not bare or piece.strip() == "…":
                continue
            found = text.find(bare, position)
            if found < 0:
                return piece.strip()
            if " | " not in line and " / " not in line:  # (cells may be read across)
                position = found + len(bare)
    return None


def _folded(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c if c.isalnum() else " " for c in plain if not unicodedata.combining(c))
    return set(plain.split())


def _match(path: Path, statuses: list, times: list[dt.datetime],
           signatories: list[Signatory]) -> tuple[list[Signer], list[str]]:
    """Which signature stands for which signatory: by its field (« Signature — Etat »),
    else by the certificate's name. A signatory without a signature is refused; a name
    that does not match is a warning (a delegate may sign)."""
    warnings = []
    by_field = {sig.field_name: (sig, status, when)
                for (sig, status), when in zip(statuses, times)}
    left = list(by_field)
    chosen: dict[str, str] = {}
    for signatory in signatories:
        name = f"{FIELD_PREFIX}{signatory.party}"
        if name in left:
            chosen[signatory.party] = name
            left.remove(name)
    for signatory in signatories:  # fields of their own: the certificate's name says who
        if signatory.party in chosen:
            continue
        for name in left:
            cn = _folded(_common_name(by_field[name][1].signing_cert))
            if any(_folded(person) <= cn for person in signatory.people):
                chosen[signatory.party] = name
                left.remove(name)
                break
    missing = [s.party for s in signatories if s.party not in chosen]
    if missing:
        done = ", ".join(_common_name(by_field[n][1].signing_cert) for n in chosen.values()) \
            or "personne"
        raise QPError(f"{path} refusé : signé par {done} seulement ; il manque la signature "
                      f"pour {', '.join(f'« {m} »' for m in missing)} (une signature par "
                      "signataire)")
    signers = []
    for signatory in signatories:
        sig, status, when = by_field[chosen[signatory.party]]
        cn = _common_name(status.signing_cert)
        if not any(_folded(person) <= _folded(cn) for person in signatory.people):
            people = list(signatory.people) or ["le signataire"]
            named = f"pas {people[0]}" if len(people) == 1 else f"ni {' ni '.join(people)}"
            of_cn = ("d'" if elides(cn) else "de ") + cn  # (a person's name: no article)
            warnings.append(f"la signature pour « {signatory.party} » est celle {of_cn}, qui "
                            f"n'est {named} (une délégation ?)")
        signers.append(Signer(signatory.party, cn, _common_name_of_issuer(status.signing_cert),
                              when.isoformat(), sig.field_name))
    for name in left:
        warnings.append(f"signature en plus de celles des signataires : "
                        f"{_common_name(by_field[name][1].signing_cert)} ({name})")
    return signers, warnings


def _common_name_of_issuer(certificate) -> str:
    issuer = certificate.issuer.native
    return issuer.get("common_name") or certificate.issuer.human_friendly


def signatories_of(territory, people=None) -> list[Signatory]:
    """The signatories of one of a territory's acts: each party, and the people whose
    certificate would be theirs (for the State, the minister or the préfet who signs).
    `people`: the act's own signatories (acts.signatories), by default those in office."""
    from .documents import signatories

    def person(who) -> list[str]:
        return [f"{who.prenom} {who.nom}"] if who is not None and isinstance(who.nom, str) \
            and isinstance(who.prenom, str) else []

    representant = people.representant if people else territory.intercommunalite.representant
    state = people.etat if people else territory.etat
    people = {"intercommunalite": person(representant),
              "etat": (person(state.ministre) if state.signataire != "prefet" else [])
              + (person(state.prefet) if state.signataire != "ministre" else [])}
    return [Signatory(name, people[party])
            for party, name in zip(territory.signature.ordre, signatories(territory))]

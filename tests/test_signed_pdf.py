"""The signature circuit: `qp generate --pdf` writes the PDF, a parapheur has it signed by
each signatory one after the other (here pyHanko, with throw-away certificates made by
the tests, no network), and `qp sign --pdf` verifies the signed PDF before it records and
archives anything. Needs LibreOffice, like test_pdf.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from conftest import ROOT, checkout_env
from test_pdf import HAVE_TOOLS

from qp_conventions.french import date_long

pytestmark = pytest.mark.skipif(not HAVE_TOOLS, reason="LibreOffice (soffice) ou pdftotext absent")

INTERCO = "La Communauté d'agglomération du Val-Fictif"
FIELDS = [f"Signature — {INTERCO}", "Signature — Etat"]


# --- throw-away certificates, and a parapheur that signs with them ---------------------

def _certificate(subject: str, key, issuer: str, issuer_key, authority: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    def name(common: str):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")])

    start = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650 * 3))
            .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=not authority, content_commitment=not authority,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=authority, crl_sign=authority, encipher_only=False,
                decipher_only=False), critical=True)
            .sign(issuer_key, hashes.SHA256()))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    """An authority (« AC de test ») and its signers' keys and certificates (PEM), and
    another authority nobody trusts."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = tmp_path_factory.mktemp("certificats")
    pem = serialization.Encoding.PEM
    for authority, people in (("AC de test", ("Camille Exemple", "Dominique Modèle",
                                              "Claude Délégué")),
                              ("AC inconnue", ("Camille Exemple",))):
        tag = authority.split()[-1]
        authority_key = ec.generate_private_key(ec.SECP256R1())
        root = _certificate(authority, authority_key, authority, authority_key, True)
        (folder / f"{tag}.pem").write_bytes(root.public_bytes(pem))
        for person in people:
            key = ec.generate_private_key(ec.SECP256R1())
            stem = f"{tag}-{person.split()[-1]}"
            (folder / f"{stem}.key").write_bytes(key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            (folder / f"{stem}.pem").write_bytes(
                _certificate(person, key, authority, authority_key, False).public_bytes(pem))
    return folder


def sign(data: bytes, certificates: Path, signers: list[tuple[str, str]]) -> bytes:
    """`data` signed by each (certificate, field) in turn, as a parapheur does: each
    signature an incremental update after the previous one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers as pdf_signers

        for stem, field in signers:
            signer = pdf_signers.SimpleSigner.load(
                str(certificates / f"{stem}.key"), str(certificates / f"{stem}.pem"),
                ca_chain_files=[str(certificates / f"{stem.split('-')[0]}.pem")])
            writer = IncrementalPdfFileWriter(io.BytesIO(data))
            data = pdf_signers.sign_pdf(writer, pdf_signers.PdfSignatureMetadata(
                field_name=field), signer=signer).getvalue()
    return data


BOTH = [("test-Exemple", FIELDS[0]), ("test-Modèle", FIELDS[1])]


# --- the territories and their PDFs, made once ------------------------------------------

@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """Two territories in draft (the fictional one, and Aix-Marseille-Provence) with
    their convention written as PDF by `qp generate --pdf`."""
    root = tmp_path_factory.mktemp("circuit")
    (root / "territories").mkdir()
    # Signed today, in the tests: so labelled less than 24 months ago (a fictional later
    # wave), or the signature would come after the end of validity (article 4).
    labelled = f"labellisation: {dt.date.today() - dt.timedelta(days=60)}\n"
    for source in (ROOT / "tests" / "fixtures" / "val-fictif.yaml",
                   ROOT / "territories" / "aix-marseille-provence.yaml"):
        text = source.read_text("utf-8").replace("  date: 2021-10-15\n", f"  date: {PLANNED}\n")
        (root / "territories" / source.name).write_text(labelled + text, "utf-8")
    for command in (("generate", "--all", "--pdf"), ("sign", "val-fictif", "--a-signer")):
        result = subprocess.run([sys.executable, "-m", "qp_conventions", *command], cwd=root,
                                capture_output=True, text=True, encoding="utf-8",
                                env=checkout_env(), timeout=600)
        assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def work(made, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the territories and out/, the current folder."""
    shutil.copytree(made, tmp_path / "w")
    monkeypatch.chdir(tmp_path / "w")
    return tmp_path / "w"


PLANNED = dt.date.today() - dt.timedelta(days=30)  # the draft's planned signature


def paris_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Paris")).date()


# --- signed by both: recorded, archived byte for byte ---------------------------------

def test_a_pdf_signed_by_both_signatories_is_recorded_and_archived(work, certificates, qp):
    signed = sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH)
    (work / "signe.pdf").write_bytes(signed)
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 0, result.err
    day = paris_today()
    lines = result.out.splitlines()
    assert lines[0] == "signe.pdf : 2 signature(s) intacte(s) et valide(s)"
    assert lines[1].startswith(f"  {INTERCO} : signé par Camille Exemple le {day:%d/%m/%Y} à ")
    assert lines[1].endswith(" (certificat émis par AC de test)")
    assert lines[2].startswith(f"  Etat : signé par Dominique Modèle le {day:%d/%m/%Y} à ")
    assert lines[3] == "  contenu : identique, octet pour octet, au PDF écrit par qp"
    assert lines[4] == "  chaîne de certificats non vérifiée"
    # the draft's planned date, which the PDF carries, is not the day it was signed
    assert lines[5] == ("  avertissement : le PDF signé dit « À Val-Fictif, le "
                        f"{date_long(PLANNED)} », le document archivé dira « À Val-Fictif, le "
                        f"{date_long(day)} » (la date de la dernière signature)")
    assert lines[6] == (f"val-fictif : la convention signée le {day:%d/%m/%Y} par Camille "
                        "Exemple et Dominique Modèle ; territories/val-fictif.yaml mis à jour "
                        "(statut: signee, signature.date, signature.signataires), document "
                        "signé archivé sous "
                        "out/signees/val-fictif.docx")
    assert len([line for line in lines if "avertissement" in line]) == 1
    assert (work / "out" / "signees" / "val-fictif.pdf").read_bytes() == signed
    territory = (work / "territories" / "val-fictif.yaml").read_text("utf-8")
    assert "statut: signee" in territory and f"date: {day.isoformat()}" in territory
    kept = json.loads((work / "out" / "signees" / "val-fictif.json").read_text("utf-8"))
    pdf = kept["pdf_signe"]
    assert pdf["sha256"] == hashlib.sha256(signed).hexdigest()
    assert [(s["party"], s["name"], s["issuer"], s["field"]) for s in pdf["signataires"]] == [
        (INTERCO, "Camille Exemple", "AC de test", FIELDS[0]),
        ("Etat", "Dominique Modèle", "AC de test", FIELDS[1])]
    assert all(dt.datetime.fromisoformat(s["signed_at"]).date() == day
               for s in pdf["signataires"])
    assert pdf["controles"]["chaine"] == "chaîne de certificats non vérifiée"
    assert pdf["controles"]["contenu"].startswith("premiere revision identique octet pour octet")
    assert kept["signee_le"] == f"{day:%d/%m/%Y}"


def first_page(pdf: Path) -> bytes:
    """The grey levels of the first page of `pdf`, as printed at 20 dpi."""
    image = subprocess.run(["pdftoppm", "-gray", "-r", "20", "-f", "1", "-l", "1", pdf],
                           capture_output=True, check=True).stdout
    return image.split(b"\n", 3)[3]  # (a PGM: « P5 », the size, the depth, then the pixels)


def test_the_working_copy_is_not_what_gets_signed(work, certificates, qp):
    (work / "signe.pdf").write_bytes(sign((work / "out" / "val-fictif.pdf").read_bytes(),
                                          certificates, BOTH))
    before = (work / "territories" / "val-fictif.yaml").read_bytes()
    refused = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert refused.code == 1
    assert refused.err == (
        "erreur : signe.pdf est la copie de travail de la convention de val-fictif, écrite par "
        "qp generate --pdf : « PROJET » y est sur chaque page. Faites signer le PDF à signer, "
        "écrit par « qp sign val-fictif --a-signer » ; rien n'a été changé\n")
    assert (work / "territories" / "val-fictif.yaml").read_bytes() == before
    assert not (work / "out" / "signees").exists()


def test_the_pdf_to_sign_has_no_draft_mark_and_is_recognised_once_signed(work, certificates,
                                                                         qp):
    (work / "out" / "val-fictif.a-signer.pdf").unlink()  # (written by the fixture)
    written = qp("sign", "val-fictif", "--a-signer")
    assert written.code == 0, written.err
    assert written.out == (
        "out/val-fictif.a-signer.pdf écrit : le PDF à déposer dans le parapheur (PDF/A-2b, "
        "sans « PROJET », un champ de signature par signataire). Une fois signé : « qp sign "
        "val-fictif --pdf SIGNÉ.pdf »\n")
    to_sign = work / "out" / "val-fictif.a-signer.pdf"
    text = subprocess.run(["pdftotext", "-layout", to_sign, "-"], capture_output=True,
                          text=True, check=True).stdout
    assert f"À Val-Fictif, le {date_long(PLANNED)}" in " ".join(text.split())
    # « PROJET » is drawn, not written: seen on the first page (text only) of the working
    # copy, in light grey across it, and not on the PDF to sign
    # « PROJET » is drawn, not written: the first page (text only) of the PDF to sign is
    # the working copy's without the light grey of « PROJET » across it
    mine, working = first_page(to_sign), first_page(work / "out" / "val-fictif.pdf")
    assert len(mine) == len(working)
    lighter = sum(a > b for a, b in zip(mine, working))
    assert lighter > 300 and not any(a < b for a, b in zip(mine, working))
    import pikepdf

    with pikepdf.open(to_sign) as document:
        assert [str(f.T) for f in document.Root.AcroForm.Fields] == FIELDS
        assert document.open_metadata().get("pdfaid:part") == "2"
    assert not (work / "territories" / "val-fictif.yaml").read_text("utf-8").count("signee")
    assert not (work / "out" / "signees").exists()  # (nothing recorded)

    (work / "signe.pdf").write_bytes(sign(to_sign.read_bytes(), certificates, BOTH))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 0, result.err
    assert "  contenu : identique, octet pour octet, au PDF écrit par qp" in result.out.splitlines()
    assert not to_sign.exists()  # (signed: nothing left to sign)
    again = qp("sign", "val-fictif", "--a-signer")
    assert again.code == 1
    assert again.err == (f"erreur : la convention de val-fictif est déjà signée (le "
                         f"{paris_today():%d/%m/%Y}) : il n'y a plus de PDF à signer ; une "
                         "modification passe par un avenant\n")


def test_an_avenant_signed_by_pdf_is_recorded_and_archived(work, certificates, qp):
    assert qp("sign", "val-fictif", "--date", f"{PLANNED}").code == 0
    territory = work / "territories" / "val-fictif.yaml"
    # (a prolongation: signed for the State by the préfet, here Claude Délégué)
    territory.write_text(territory.read_text("utf-8").replace(
        "    departement: Loiret\n",
        "    departement: Loiret\n    civilite: Madame\n    prenom: Claude\n    nom: Délégué\n",
        1) + ("\navenants:\n  - numero: 1\n    lieu: Val-Fictif\n    exemplaires: 2\n"
              "    objet: prolongation\n    duree_mois: 36\n"), "utf-8")
    written = qp("sign", "val-fictif", "avenant-1", "--a-signer")
    assert written.code == 0, written.err
    to_sign = work / "out" / "val-fictif.avenant-1.a-signer.pdf"
    (work / "signe.pdf").write_bytes(sign(to_sign.read_bytes(), certificates,
                                          [("test-Exemple", FIELDS[0]),
                                           ("test-Délégué", FIELDS[1])]))
    result = qp("sign", "val-fictif", "avenant-1", "--pdf", "signe.pdf")
    assert result.code == 0, result.err
    day = paris_today()
    assert "  contenu : identique, octet pour octet, au PDF écrit par qp" in result.out.splitlines()
    assert (f"val-fictif : l'avenant n° 1 signé le {day:%d/%m/%Y} par Camille Exemple et "
            "Claude Délégué ; territories/val-fictif.yaml mis à jour (avenants[1].date, "
            "avenants[1].signataires), document signé archivé sous "
            "out/signees/val-fictif.avenant-1.docx") in result.out
    assert (work / "out" / "signees" / "val-fictif.avenant-1.pdf").read_bytes() == \
        (work / "signe.pdf").read_bytes()
    assert qp("validate").code == 0


def test_no_pdf_to_sign_while_a_fact_is_to_complete(work, qp):
    (work / "out" / "val-fictif.a-signer.pdf").unlink()  # (written by the fixture)
    territory = work / "territories" / "val-fictif.yaml"
    text = territory.read_text("utf-8")
    territory.write_text(text.replace("Exemple", "à compléter", 1), "utf-8")
    refused = qp("sign", "val-fictif", "--a-signer")
    assert refused.code == 1
    assert "à compléter avant de signer : nom du représentant" in refused.err
    assert refused.err.endswith("erreur : val-fictif : la convention ne peut être signée en "
                                "l'état, aucun PDF à signer n'a été écrit\n")
    assert not (work / "out" / "val-fictif.a-signer.pdf").exists()
    mixed = qp("sign", "val-fictif", "--a-signer", "--date", "2021-10-15")
    assert mixed.code == 2
    assert ("--a-signer écrit le PDF à faire signer, avant toute signature : retirez --date, "
            "--pdf et --confiance") in mixed.err


def test_the_chain_is_checked_against_the_trust_list_given(work, certificates, qp):
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf", "--confiance",
                certificates / "test.pem", "--date", paris_today().isoformat())
    assert result.code == 0, result.err
    assert "  chaîne de certificats vérifiée (test.pem)" in result.out.splitlines()


def test_a_signer_certified_by_an_authority_not_trusted_is_refused(work, certificates, qp):
    # (the State signs first: the refusal names the signer, whatever the order)
    (work / "signe.pdf").write_bytes(sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(),
                                          certificates, [("test-Modèle", FIELDS[1]),
                                                         ("inconnue-Exemple", FIELDS[0])]))
    before = (work / "territories" / "val-fictif.yaml").read_bytes()
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf", "--confiance",
                certificates / "test.pem")
    assert result.code == 1
    assert result.err.strip() == (
        f"erreur : signe.pdf refusé : certificat de Camille Exemple non reconnu par la liste "
        f"de confiance {certificates / 'test.pem'} (chaîne de certificats invalide)")
    assert (work / "territories" / "val-fictif.yaml").read_bytes() == before
    assert not (work / "out" / "signees").exists()


def test_a_pdf_rewritten_by_the_parapheur_is_recognised_by_its_text(work, certificates, qp):
    import pikepdf

    rewritten = io.BytesIO()
    with pikepdf.open(work / "out" / "val-fictif.a-signer.pdf") as pdf:
        pdf.save(rewritten)  # (every byte moves, the text stays)
    (work / "signe.pdf").write_bytes(sign(rewritten.getvalue(), certificates, BOTH))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 0, result.err
    assert ("  contenu : PDF réécrit par le parapheur, au texte identique à celui de la "
            "convention") in result.out.splitlines()


def test_a_delegate_who_signs_for_the_state_is_named_in_a_warning(work, certificates, qp):
    (work / "signe.pdf").write_bytes(sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(),
                                          certificates, [("test-Exemple", FIELDS[0]),
                                                         ("test-Délégué", FIELDS[1])]))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 0, result.err
    assert ("  avertissement : la signature pour « Etat » est celle de Claude Délégué, qui "
            "n'est pas Dominique Modèle (une délégation ?)") in result.out.splitlines()


# --- refused: nothing recorded, nothing archived -----------------------------------------

def _changed_after_signing(signed: bytes) -> bytes:
    """One byte changed inside the signed content (a compressed stream: still a PDF)."""
    at = signed.index(b"stream", len(signed) // 3) + 40
    return signed[:at] + bytes([signed[at] ^ 0xFF]) + signed[at + 1:]


def _updated_after_signing(signed: bytes) -> bytes:
    """An incremental update after both signatures that changes the document itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.pdf_utils.generic import pdf_string
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(io.BytesIO(signed))
        writer.root["/Lang"] = pdf_string("en-GB")
        writer.update_root()
        out = io.BytesIO()
        writer.write(out)
    return out.getvalue()


def _encrypted(signed: bytes) -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


REFUSALS = {
    "signed by one signatory only": (
        lambda pdfs, certs: sign(pdfs["val-fictif"], certs, BOTH[:1]),
        "signe.pdf refusé : signé par Camille Exemple seulement ; il manque la signature "
        "pour « Etat » (une signature par signataire)"),
    "one byte changed after signing": (
        lambda pdfs, certs: _changed_after_signing(sign(pdfs["val-fictif"], certs, BOTH)),
        "signe.pdf refusé : la signature de Camille Exemple ne correspond plus au document : "
        "le PDF a été modifié après sa signature ; la signature de Dominique Modèle ne "
        "correspond plus au document : le PDF a été modifié après sa signature"),
    "changed by an update after the signatures": (
        lambda pdfs, certs: _updated_after_signing(sign(pdfs["val-fictif"], certs, BOTH)),
        "signe.pdf refusé : le PDF a été modifié après la signature de Camille Exemple "
        "(autre chose que des signatures ajoutées) ; le PDF a été modifié après la "
        "signature de Dominique Modèle (autre chose que des signatures ajoutées)"),
    "another territory's signed PDF": (
        lambda pdfs, certs: sign(pdfs["aix-marseille-provence"], certs, [
            ("test-Exemple", "Signature — Etat"),
            ("test-Modèle", "Signature — La Métropole Aix-Marseille-Provence")]),
        "signe.pdf n'est pas la convention de val-fictif : ce n'est aucun des PDF que qp a "
        "écrits pour elle, et son texte n'est pas le sien (un autre acte, un autre "
        "territoire, ou un texte modifié)"),
    "not signed": (lambda pdfs, certs: pdfs["val-fictif"],
                   "signe.pdf n'est pas signé : aucune signature électronique"),
    "damaged": (lambda pdfs, certs: sign(pdfs["val-fictif"], certs, BOTH)[:30000],
                None),
    "encrypted": (lambda pdfs, certs: _encrypted(sign(pdfs["val-fictif"], certs, BOTH)),
                  "signe.pdf est chiffré : demandez au parapheur le PDF signé sans mot de "
                  "passe"),
    "not a PDF": (lambda pdfs, certs: (ROOT / "out" / "toulouse.docx").read_bytes(),
                  "signe.pdf n'est pas un PDF"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_pdf_that_does_not_verify_is_refused_and_nothing_changes(work, certificates, qp,
                                                                   case):
    make, message = REFUSALS[case]
    pdfs = {"val-fictif": (work / "out" / "val-fictif.a-signer.pdf").read_bytes(),
            "aix-marseille-provence": (work / "out" / "aix-marseille-provence.pdf").read_bytes()}
    (work / "signe.pdf").write_bytes(make(pdfs, certificates))
    before = (work / "territories" / "val-fictif.yaml").read_bytes()
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 1, result.out
    if message is None:  # (pyHanko's own words follow)
        assert result.err.startswith("erreur : signe.pdf : PDF endommagé ou illisible (")
    else:
        assert result.err.strip() == f"erreur : {message}"
    assert "Traceback" not in result.err
    assert (work / "territories" / "val-fictif.yaml").read_bytes() == before
    assert not (work / "out" / "signees").exists()


def test_a_pdf_qp_wrote_for_an_earlier_version_of_the_convention_is_refused(
        work, certificates, qp):
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    territory = work / "territories" / "val-fictif.yaml"
    changed = territory.read_text("utf-8").replace("chef_de_file: bpifrance",
                                                   "chef_de_file: anct")
    territory.write_text(changed, encoding="utf-8")
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 1
    assert result.err.strip() == (
        "erreur : signe.pdf est un PDF que qp a écrit pour la convention de val-fictif, mais "
        "d'une version antérieure : son texte n'est plus celui du fichier du territoire : « Le "
        "Chef de file désigné pour suivre le déploiement du programme sur la Communauté "
        "d’agglomération du Val-Fictif est… » n'y est pas. Si les signataires ont "
        "changé depuis (une élection), inscrivez ceux qui ont signé sous la rubrique "
        "signataires de l'acte ; rien n'a été changé")
    assert territory.read_text("utf-8") == changed
    assert not (work / "out" / "signees").exists()


def test_a_convention_the_file_says_signed_on_another_day_is_refused(work, certificates, qp):
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    territory = work / "territories" / "val-fictif.yaml"
    territory.write_text("statut: signee\n" + territory.read_text("utf-8"), encoding="utf-8")
    before = territory.read_bytes()
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 1
    assert result.err.strip() == (
        "erreur : territories/val-fictif.yaml dit déjà la convention signée le "
        f"{PLANNED:%d/%m/%Y}, "
        f"mais la dernière signature de signe.pdf date du {paris_today():%d/%m/%Y} : qp sign "
        "ne change pas une date de signature ; rien n'a été changé")
    assert territory.read_bytes() == before
    assert not (work / "out" / "signees").exists()


def test_a_date_that_is_not_the_last_signatures_is_refused(work, certificates, qp):
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf", "--date", "2022-01-03")
    assert result.code == 1
    assert result.err.strip() == (
        f"erreur : --date 2022-01-03 ne s'accorde pas avec signe.pdf, dont la dernière "
        f"signature date du {paris_today():%d/%m/%Y} (heure de Paris) : rien n'a été changé")
    assert not (work / "out" / "signees").exists()


def test_sign_needs_a_date_or_a_signed_pdf(work, qp):
    result = qp("sign", "val-fictif")
    assert result.code == 2
    assert ("indiquez la date de la signature (--date AAAA-MM-JJ) ou le PDF signé "
            "(--pdf SIGNÉ.pdf)") in result.err


# --- an archived signed PDF changed on disk: reported, the other territories go on -------

def test_an_archived_signed_pdf_changed_on_disk_is_reported(work, certificates, qp):
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    assert qp("sign", "val-fictif", "--pdf", "signe.pdf").code == 0
    archived = work / "out" / "signees" / "val-fictif.pdf"
    archived.write_bytes(_changed_after_signing(archived.read_bytes()))
    message = ("territories/val-fictif.yaml: erreur : statut : le PDF signé de la "
               "convention, archivé sous out/signees/val-fictif.pdf, a été modifié depuis son "
               "archivage : ses signatures ne le couvrent plus ; reprenez-le de l'historique "
               "(git) ou de la copie du parapheur")
    generated = qp("generate", "--all")
    assert generated.code == 1
    assert message in generated.err.splitlines()
    assert "inchangé : out/aix-marseille-provence.docx" in generated.out  # the other goes on
    assert "1 en échec" in generated.out
    validated = qp("validate")
    assert validated.code == 1
    assert message in validated.err.splitlines()
    assert "2 fichier(s) vérifié(s) : 1 erreur(s)" in validated.out


def test_a_convention_still_to_complete_is_refused_before_its_pdf_is_read(work, certificates,
                                                                          qp):
    """(its signatories unknown, the text to compare the PDF with could not be written:
    exit 70)"""
    source = work / "territories" / "val-fictif.yaml"
    source.write_text(source.read_text("utf-8").replace(
        "  signataire: ministre_ou_prefet\n", "  signataire: à compléter\n", 1), "utf-8")
    before = source.read_bytes()
    (work / "signe.pdf").write_bytes(
        sign((work / "out" / "val-fictif.a-signer.pdf").read_bytes(), certificates, BOTH))
    result = qp("sign", "val-fictif", "--pdf", "signe.pdf")
    assert result.code == 1
    assert any(line.startswith("territories/val-fictif.yaml:") and line.endswith(
        "erreur : etat.signataire : à compléter avant de signer : signataire de l'État "
        "(ministre, ministre_ou_prefet ou prefet)") for line in result.err.splitlines()), \
        result.err
    assert "Traceback" not in result.err and "inattendue" not in result.err
    assert source.read_bytes() == before
    assert not (work / "out" / "signees").exists()

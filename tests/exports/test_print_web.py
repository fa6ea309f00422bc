"""The print pages: the PDF and on-screen codes, who may see them, and import on a hospital."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carechain.demo import chest_pain_stemi
from carechain.exports.pdf import render_pdf
from carechain.exports.qr import read_codes, record_codes
from carechain.node.audit import read_audit
from carechain.testing import Trust
from tests.exports.conftest import BASE
from tests.web.conftest import PIN, Site, make_site
from tests.web.hospital_support import Ward, make_ward


@pytest.fixture
def crew(tmp_path: Path, trust: Trust) -> Iterator[Site]:
    site = make_site(tmp_path / "crew", trust, "crew", "crew-1", [
        ("P100234", "Sam Patel", "paramedic", PIN),
        ("L400001", "Lee Lead", "clinical_lead", "735190"),
        ("A900001", "Ash Admin", "admin", "735191"),
    ])
    yield site
    site.client.close()
    site.accounts.close()
    site.node.close()


@pytest.fixture
def ward(tmp_path: Path, trust: Trust) -> Iterator[Ward]:
    w = make_ward(tmp_path, trust)
    yield w
    w.close()


def _record(site: Site) -> bytes:
    case = chest_pain_stemi()
    record, _ = site.node.open_record(user="P100234", data=case.opened)
    for kind, data in case.at(BASE):
        site.node.append(record=record, user="P100234", kind=kind, data=data)
    return record


def test_crew_prints_the_pdf_offline_and_the_export_is_audited(crew: Site) -> None:
    record = _record(crew)
    crew.login("P100234", PIN)
    page = crew.client.get(f"/crew/records/{record.hex()}")
    assert f'href="/print/{record.hex()}.pdf"' in page.text
    r = crew.client.get(f"/print/{record.hex()}.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert sorted(read_codes([r.content])) == sorted(record_codes(crew.node, record))
    exports = [e for e in read_audit(crew.node) if e["action"] == "record.export"]
    assert exports[-1]["record"] == record.hex()
    assert exports[-1]["detail"]["format"] == "pdf"


def test_crew_sees_every_code_on_screen(crew: Site) -> None:
    record = _record(crew)
    crew.login("P100234", PIN)
    r = crew.client.get(f"/print/{record.hex()}/codes")
    codes = record_codes(crew.node, record)
    assert r.status_code == 200
    assert r.text.count('data-testid="qr-code"') == len(codes)
    assert f"code 1 of {len(codes)}" in r.text


def test_who_may_print_and_unknown_is_not_found(crew: Site) -> None:
    """A crew member who hands over, or a clinical lead (who may export), prints; an
    administrator, who reads no clinical content, may not."""
    import pyotp

    record = _record(crew)
    crew.login("L400001", "735190")
    assert crew.client.get(f"/print/{record.hex()}.pdf").status_code == 200
    crew.client.cookies.clear()
    crew.login("A900001", "735191", pyotp.TOTP(crew.totp["A900001"]).now())
    assert crew.client.get(f"/print/{record.hex()}.pdf").status_code == 403
    crew.client.cookies.clear()
    crew.login("P100234", PIN)
    assert crew.client.get(f"/print/{'ab' * 16}.pdf").status_code == 404


def test_hospital_imports_a_paper_handover_then_prints_it(ward: Ward, tmp_path: Path) -> None:
    record = ward.document(chest_pain_stemi())  # written on the crew, never synced
    pdf = render_pdf(ward.crew.state(record), record_codes(ward.crew, record), now=BASE)
    ward.login()
    board = ward.site.client.get("/hospital")
    assert 'href="/print/import"' in board.text
    csrf = ward.site.csrf("/print/import")
    r = ward.site.client.post("/print/import", data={"csrf": csrf},
                              files=[("files", ("handover.pdf", pdf, "application/pdf"))])
    assert r.status_code == 200, r.text
    assert 'data-testid="import-done"' in r.text
    assert ward.hospital.state(record)["sections"] == ward.crew.state(record)["sections"]
    printed = ward.site.client.get(f"/print/{record.hex()}.pdf")
    assert printed.status_code == 200


def test_hospital_import_with_a_missing_code_stores_nothing(ward: Ward) -> None:
    record = ward.document(chest_pain_stemi())
    codes = record_codes(ward.crew, record)
    pdf = render_pdf(ward.crew.state(record), codes[1:], now=BASE)
    ward.login()
    before = ward.hospital.store.count()
    r = ward.site.client.post("/print/import", data={"csrf": ward.site.csrf("/print/import")},
                              files=[("files", ("handover.pdf", pdf, "application/pdf"))])
    assert r.status_code == 422
    assert f"missing code 1 of {len(codes)}" in r.text
    assert ward.hospital.store.count() == before


def test_hospital_may_not_print_a_record_not_addressed_to_it(ward: Ward) -> None:
    record = ward.document(chest_pain_stemi(), hospital_node=None)
    ward.deliver()
    ward.login()
    r = ward.site.client.get(f"/print/{record.hex()}.pdf")
    assert r.status_code in (403, 404)

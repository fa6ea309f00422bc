"""Photos and documents: attached on the crew's tablet, carried by the hub as ciphertext,
shown at the hospital byte for byte, each read audited; a file of the wrong type or over
the size limit refused by name with nothing stored."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from carechain.demo.cases import chest_pain_stemi
from carechain.errors import Undecryptable
from carechain.node import Node
from carechain.node.audit import read_audit
from carechain.operations.attachments import ATTACHMENT_MAX_BYTES, CHUNK_BYTES
from carechain.sync.policy import allow_for
from carechain.testing import Trust, make_node
from tests.web.conftest import PIN, Site, make_site
from tests.web.hospital_support import CLINICIAN, PASSWORD

PARAMEDIC = "P100234"


@dataclass
class Chain:
    crew: Site
    hub: Node
    hospital: Site
    hub_path: Path

    def document(self, *, hospital: str | None = "hospital-a") -> bytes:
        """A chest-pain case on the crew's tablet, conveyed to `hospital`."""
        node = self.crew.node
        case = chest_pain_stemi()
        record, _ = node.open_record(user=PARAMEDIC, data=case.opened)
        for kind, data in case.at(datetime.now(UTC) - timedelta(minutes=30)):
            if kind == "disposition.recorded" and hospital is not None:
                data = {**data, "hospital_node": hospital}
            node.append(record=record, user=PARAMEDIC, kind=kind, data=data)
        return record

    def sync(self) -> None:
        """Crew → hub → hospital, each taking what its role may hold, as sync does."""
        for source, target in ((self.crew.node, self.hub), (self.hub, self.hospital.node)):
            entries = [s.entry for s in source.store.since(0, 100_000)]
            target.ingest(entries, allow=allow_for(target.store, target.info.role,
                                                   target.keys.box_key_id))


@pytest.fixture
def chain(tmp_path: Path, trust: Trust) -> Iterator[Chain]:
    crew = make_site(tmp_path / "crew", trust, "crew", "crew-1",
                     [(PARAMEDIC, "Sam Patel", "paramedic", PIN)])
    hospital = make_site(tmp_path / "hospital", trust, "hospital", "hospital-a",
                         [(CLINICIAN, "Dr Jo Lee", "ed_clinician", PASSWORD)])
    hub = make_node(tmp_path / "hub", trust, role="hub", name="hub")
    nodes = (crew.node, hospital.node, hub)
    directory = [s.entry for n in nodes for s in n.store.since(0, 100)]
    for node in nodes:
        node.ingest(directory)
    crew.login(PARAMEDIC, PIN)
    hospital.login(CLINICIAN, PASSWORD)
    yield Chain(crew, hub, hospital, tmp_path / "hub")
    for site in (crew, hospital):
        site.client.close()
        site.accounts.close()
        site.node.close()
    hub.close()


def photo_png(width: int = 420, height: int = 300) -> bytes:
    """A PNG of noise: it compresses to nothing shorter, so it spans several chunks."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def small_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(chain: Chain, record: bytes, field: str, name: str, content: bytes,
           category: str = "wound", caption: str = "") -> tuple[int, str]:
    path = f"/crew/records/{record.hex()}/attachments"
    r = chain.crew.client.post(
        f"/crew/attachments/{record.hex()}",
        data={"csrf": chain.crew.csrf(path), "category": category, "caption": caption},
        files={field: (name, content, "application/octet-stream")},
        headers={"accept": "text/html"}, follow_redirects=False)
    if r.status_code == 303:
        found = re.search(r"added=([0-9a-f]{32})", r.headers["location"])
        assert found
        return 303, found.group(1)
    return r.status_code, r.text


def test_a_photo_reaches_the_hospital_byte_for_byte_and_the_hub_holds_only_ciphertext(
    chain: Chain,
) -> None:
    record = chain.document()
    content = photo_png()
    assert len(content) > 2 * CHUNK_BYTES
    status, attachment = upload(chain, record, "photo", "IMG_0042.png", content,
                                caption="laceration, left forearm")
    assert status == 303
    page = chain.crew.client.get(f"/crew/records/{record.hex()}/attachments")
    assert 'data-testid="attachment-saved"' not in page.text  # only after the redirect
    assert "IMG_0042.png" in page.text and "laceration, left forearm" in page.text

    chain.sync()
    # The hub relays every chunk and cannot open one.
    chunks = [s.entry for s in chain.hub.store.record(record)
              if s.entry.header.cls == "clinical"]
    assert len(chunks) >= 4
    with pytest.raises(Undecryptable):
        chain.hub.body(chunks[0])
    stored = b"".join(p.read_bytes() for p in chain.hub_path.rglob("*") if p.is_file())
    assert content[5000:5064] not in stored
    assert base64.b64encode(content[:3000]) not in stored

    base = f"/hospital/records/{record.hex()}"
    page = chain.hospital.client.get(base)
    assert page.status_code == 200
    assert f"{base}/attachments/{attachment}/thumbnail" in page.text
    full = chain.hospital.client.get(f"{base}/attachments/{attachment}")
    assert full.status_code == 200
    assert full.content == content
    assert full.headers["content-type"] == "image/png"
    assert full.headers["x-content-type-options"] == "nosniff"
    small = chain.hospital.client.get(f"{base}/attachments/{attachment}/thumbnail")
    assert small.status_code == 200 and small.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(small.content)) as thumb:
        assert max(thumb.size) <= 320

    reads = [e["detail"].get("what") for e in read_audit(chain.hospital.node)
             if e["action"] == "record.view" and e.get("record") == record.hex()]
    assert "attachment" in reads and "thumbnail" in reads
    # The history shows the chunks without their bytes.
    history = chain.crew.node.state(record)["history"]
    chunk_rows = [h for h in history if h["kind"] == "attachment.chunk"]
    assert chunk_rows and all("content" not in h["data"] for h in chunk_rows)


def test_a_pdf_document_is_attached_and_served_with_no_thumbnail(chain: Chain) -> None:
    record = chain.document()
    status, attachment = upload(chain, record, "file", "dnacpr.pdf", small_pdf(),
                                category="dnacpr")
    assert status == 303
    chain.sync()
    base = f"/hospital/records/{record.hex()}/attachments/{attachment}"
    full = chain.hospital.client.get(base)
    assert full.content == small_pdf() and full.headers["content-type"] == "application/pdf"
    assert chain.hospital.client.get(base + "/thumbnail").status_code == 404
    assert "DNACPR form: dnacpr.pdf" in chain.hospital.client.get(
        f"/hospital/records/{record.hex()}").text


NOT_A_TYPE = "must be a JPEG or PNG photo, or a PDF document"


@pytest.mark.parametrize(("field", "name", "content", "says"), [
    ("photo", "big.jpg", b"\xff\xd8\xff" + bytes(ATTACHMENT_MAX_BYTES),
     "photo: must be at most 10 MB"),
    ("file", "notes.jpg", b"just some text, named as a photo", "file: " + NOT_A_TYPE),
    ("file", "anim.gif", b"GIF89a" + bytes(64), "file: " + NOT_A_TYPE),
    ("photo", "cut.png", photo_png(40, 30)[:200], "photo: the image is damaged"),
    ("file", "cut.pdf", small_pdf()[:-7], "file: the PDF is cut short"),
], ids=["over-10-MB", "text", "gif", "cut-png", "cut-pdf"])
def test_a_file_of_the_wrong_type_or_size_is_refused_by_name_and_nothing_is_stored(
    chain: Chain, field: str, name: str, content: bytes, says: str,
) -> None:
    record = chain.document()
    before = len(chain.crew.node.store.record(record))
    status, text = upload(chain, record, field, name, content)
    assert status == 422
    assert "Nothing was attached" in text and says in text
    assert len(chain.crew.node.store.record(record)) == before


def test_a_category_not_listed_is_refused(chain: Chain) -> None:
    record = chain.document()
    before = len(chain.crew.node.store.record(record))
    status, text = upload(chain, record, "photo", "a.png", photo_png(40, 30), category="selfie")
    assert status == 422 and "category: must be one of the listed categories" in text
    assert len(chain.crew.node.store.record(record)) == before


def test_the_hospital_reads_no_attachment_of_another_record_or_one_not_sent_to_it(
    chain: Chain,
) -> None:
    record = chain.document()
    _, attachment = upload(chain, record, "photo", "a.png", photo_png(40, 30))
    elsewhere = chain.document(hospital=None)
    _, unsent = upload(chain, elsewhere, "photo", "b.png", photo_png(40, 30))
    chain.sync()
    made_up = hashlib.sha256(b"").hexdigest()[:32]
    r = chain.hospital.client.get(f"/hospital/records/{record.hex()}/attachments/{made_up}")
    assert r.status_code == 404
    other = chain.document()
    chain.sync()
    r = chain.hospital.client.get(f"/hospital/records/{other.hex()}/attachments/{attachment}")
    assert r.status_code == 404  # the file belongs to another record
    r = chain.hospital.client.get(f"/hospital/records/{elsewhere.hex()}/attachments/{unsent}")
    assert r.status_code in (403, 404) and b"\x89PNG" not in r.content


def test_a_file_whose_chunks_have_not_all_arrived_is_not_served(chain: Chain) -> None:
    record = chain.document()
    status, attachment = upload(chain, record, "photo", "IMG_0043.png", photo_png())
    assert status == 303
    node = chain.crew.node
    chunks = [s.entry for s in node.store.record(record)
              if (node.body(s.entry) or {}).get("kind") == "attachment.chunk"]
    assert len(chunks) >= 3
    held_back = chunks[1].id
    entries = [s.entry for s in node.store.since(0, 100_000) if s.entry.id != held_back]
    hospital = chain.hospital.node
    hospital.ingest(entries, allow=allow_for(hospital.store, "hospital",
                                             hospital.keys.box_key_id))
    base = f"/hospital/records/{record.hex()}/attachments/{attachment}"
    r = chain.hospital.client.get(base)
    assert r.status_code == 404 and b"\x89PNG" not in r.content
    chain.sync()  # the missing chunk arrives: now it is whole
    assert chain.hospital.client.get(base).status_code == 200


def test_a_file_written_past_the_checks_is_not_served_as_what_it_claims(chain: Chain) -> None:
    """An entry writer that skips the upload's checks (the entries API, another node's
    software) cannot have a page of HTML served as a PNG."""
    record = chain.document()
    content = b"<html><script>alert(1)</script></html>"
    attachment = "ab" * 16
    node = chain.crew.node
    node.append(record=record, user=PARAMEDIC, kind="attachment.chunk",
                data={"attachment": attachment, "index": 0,
                      "content": base64.b64encode(content).decode()})
    node.append(record=record, user=PARAMEDIC, kind="attachment.added", data={
        "attachment": attachment, "category": "wound", "content_type": "image/png",
        "filename": "x.png", "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(), "chunks": 1,
        "taken_at": datetime.now(UTC).isoformat()})
    chain.sync()
    r = chain.hospital.client.get(f"/hospital/records/{record.hex()}/attachments/{attachment}")
    assert r.status_code == 404 and b"<script>" not in r.content

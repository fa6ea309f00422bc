"""QR handover: PDF → 150 dpi → decode → import gives the same record; tampering refused."""

from __future__ import annotations

import io
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter

from carechain.demo import chest_pain_stemi, motorcyclist_femur
from carechain.entries import decode_entry
from carechain.errors import BadSignature, FieldInvalid, Forbidden, MalformedEntry
from carechain.exports.pdf import render_pdf
from carechain.exports.qr import import_codes, label, read_codes, record_codes
from carechain.exports.qr._codes import HEADER, MAGIC, pack_entries, split_payload
from tests.exports.conftest import BASE, play

FOLDED = ("sections", "items", "conflicts", "history", "scores", "prompts")


def _same_record(a: Any, b: Any, record: bytes) -> None:
    left, right = a.state(record), b.state(record)
    for key in FOLDED:
        assert left[key] == right[key], key


def _pages(pdf: bytes, tmp_path: Path, dpi: int = 150) -> list[Path]:
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(tmp_path / "doc.pdf"),
                    str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page*.png"))


def test_pdf_rasterised_at_150_dpi_imports_the_same_record(pair: Any, tmp_path: Path) -> None:
    record = play(pair.crew, chest_pain_stemi())
    codes = record_codes(pair.crew, record)
    pdf = render_pdf(pair.crew.state(record), codes, now=BASE)
    pages = [p.read_bytes() for p in _pages(pdf, tmp_path)]
    found = read_codes(pages)
    assert sorted(found) == sorted(codes)
    done = import_codes(pair.hospital, found)
    assert (done.record, done.codes) == (record, len(codes))
    _same_record(pair.crew, pair.hospital, record)
    again = import_codes(pair.hospital, found)  # content-addressed: a second import is harmless
    assert again.new == 0


def _photo(page: Image.Image, seed: int) -> bytes:
    """Return a photo-like copy of a page: scaled, slightly rotated, noisy, soft, JPEG."""
    rng = random.Random(seed)
    img = page.convert("L").rotate(rng.uniform(-4, 4), expand=True, fillcolor=235)
    img = img.resize((int(img.width * 1.3), int(img.height * 1.3)))
    noise = Image.effect_noise(img.size, 28)
    img = Image.blend(img, noise, 0.12).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


def test_photos_of_the_pages_import_the_same_record(pair: Any, tmp_path: Path) -> None:
    record = play(pair.crew, motorcyclist_femur())
    codes = record_codes(pair.crew, record)
    pdf = render_pdf(pair.crew.state(record), codes, now=BASE)
    photos = []
    for i, page in enumerate(_pages(pdf, tmp_path, dpi=150)):
        with Image.open(page) as image:
            photos.append(_photo(image, i))
    done = import_codes(pair.hospital, read_codes(photos))
    assert done.record == record
    _same_record(pair.crew, pair.hospital, record)


def test_a_missing_code_is_named_and_nothing_is_stored(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    codes = record_codes(pair.crew, record)
    before = pair.hospital.store.count()
    with pytest.raises(FieldInvalid, match=f"missing code 2 of {len(codes)}"):
        import_codes(pair.hospital, codes[:1] + codes[2:])
    assert pair.hospital.store.count() == before


def test_an_altered_code_is_refused(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    codes = record_codes(pair.crew, record)
    bad = bytearray(codes[1])
    bad[-5] ^= 0x40
    with pytest.raises(FieldInvalid, match="altered"):
        import_codes(pair.hospital, [codes[0], bytes(bad), *codes[2:]])


def test_a_forged_entry_with_a_matching_checksum_is_refused_by_its_signature(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    entries = [s.entry for s in pair.crew.store.record(record)]
    last = entries[-1]
    forged = last.signed_with(bytes(64))  # the same entry, another signature
    codes = split_payload(record, pack_entries([*entries[:-1], forged]))
    before = pair.hospital.store.count()
    with pytest.raises(BadSignature):
        import_codes(pair.hospital, codes)
    assert pair.hospital.store.count() == before  # not even the good entries


def test_foreign_codes_are_refused_naming_why(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    other = play(pair.crew, motorcyclist_femur())
    mine, theirs = record_codes(pair.crew, record), record_codes(pair.crew, other)
    with pytest.raises(FieldInvalid, match="not a carechain record code"):
        import_codes(pair.hospital, [b"https://example.invalid/ticket", *mine])
    with pytest.raises(FieldInvalid, match="one record at a time"):
        import_codes(pair.hospital, [*mine, theirs[0]])


def test_a_node_the_record_is_not_addressed_to_gets_nothing(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    before = pair.other.store.count()
    with pytest.raises(Forbidden, match="not addressed to hospital-other"):
        import_codes(pair.other, record_codes(pair.crew, record))
    assert pair.other.store.count() == before


def test_garbage_inside_well_framed_codes_is_malformed() -> None:
    record = bytes(16)
    codes = split_payload(record, b"not zlib at all")
    with pytest.raises(MalformedEntry):
        import_codes_without_node(codes)


def import_codes_without_node(codes: list[bytes]) -> None:
    """Decode a payload as the import does, without a node (its first step)."""
    from carechain.exports.qr._codes import join_codes, unpack_entries

    for wire in unpack_entries(join_codes(codes).payload):
        decode_entry(wire)


def test_codes_are_labelled_n_of_m_and_fit_one_qr_each(pair: Any) -> None:
    record = play(pair.crew, chest_pain_stemi())
    codes = record_codes(pair.crew, record)
    assert [label(c) for c in codes] == [f"{n} of {len(codes)}" for n in
                                         range(1, len(codes) + 1)]
    assert all(c.startswith(MAGIC) and len(c) <= HEADER.size + 600 for c in codes)

"""Check a backup: without any secret, that it is whole and made by a node of this trust;
with a key that opens it, also every entry inside.

Without a key: the manifest's signature by a key the trust certified (for the node and
role it names), the header's hash, every chunk's hash, the number of chunks and the end
mark. With the backed-up node's operator secret, or as a records vault it is sealed to:
every chunk decrypts in order up to the FINAL one, every entry decodes, its id is the hash
of its signed bytes, its stored columns match its header, its signature verifies under a
certificate of the trust (from the backup's own directory entries, with revocations),
and the counts and the tree root over the ids match the manifest.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carechain.backup._check import BackupInfo, KeyOpener, check_manifest, content_key
from carechain.backup._content import ENTRY_PAGE, LogRoot, decode_message
from carechain.backup._format import BackupReader
from carechain.backup._image import image_facts
from carechain.backup.errors import BackupCorrupt
from carechain.entries import Entry, decode_signed
from carechain.errors import CarechainError
from carechain.node.verify import Finding
from carechain.store.sqlite import SqliteSnapshot
from carechain.trust import DIRECTORY_RECORD, Directory

__all__ = ["VerifyReport", "verify_backup"]


@dataclass
class VerifyReport:
    """What `verify_backup` checked and found."""

    info: BackupInfo
    size: int
    chunks: int
    opened: bool = False  # whether the content was decrypted and every entry checked
    entries_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"meta": 0, "access": 0})

    @property
    def ok(self) -> bool:
        """Return whether nothing is wrong."""
        return not self.findings


def verify_backup(
    source: Path, root_public: bytes, *, opener: KeyOpener | None = None
) -> VerifyReport:
    """Check the backup at `source`; raise a BackupError naming the first break found."""
    with BackupReader(source) as reader:
        info = check_manifest(reader, root_public)
        if opener is None:
            count = sum(1 for _ in reader.chunks())
            return VerifyReport(info, reader.size, count)
        key = content_key(reader.header, opener)
        report = VerifyReport(info, reader.size, 0, opened=True)
        checker = _EntryChecker(root_public)
        with tempfile.TemporaryDirectory(prefix="carechain-verify-") as tmp:
            image = Path(tmp) / "log.image"
            pages = _first_pass(reader, key, checker, image, report)
            # Second pass: the trust's directory is now known as the backup holds it
            # (certificates and revocations), so every entry is judged as `carechain
            # verify` would judge it.
            tree = LogRoot()
            for columns in pages():
                tree.add(columns[1])
                checker.page(columns)
            if image.exists():
                counts = {k: v for k, v in image_facts(image).items() if k in ("meta", "access")}
            else:
                counts = report.counts
            _compare(info.manifest, tree, counts, checker.count)
        report.entries_checked = checker.count
        report.findings = checker.finish()
        return report


Pages = Callable[[], Iterator[list[list[Any]]]]


def _first_pass(reader: BackupReader, key: bytes, checker: _EntryChecker, image: Path,
                report: VerifyReport) -> Pages:
    """Decrypt everything once: learn the directory, count rows, write a database file
    that arrived; return how to read the entry pages again."""
    ended = False
    with open(image, "wb") as out:
        for index, plain in enumerate(reader.decrypt(key)):
            message = decode_message(plain, index)
            report.chunks += 1
            if message[0] == "entries":
                checker.directory_page(message[1:])
            elif message[0] in report.counts:
                report.counts[message[0]] += len(message[1])
            elif message[0] == "sqlite":
                out.write(message[1])
            elif message[0] == "end":
                ended = True
    if not ended:
        raise BackupCorrupt("the content has no end chunk")
    if image.stat().st_size == 0:
        image.unlink()

        def again() -> Iterator[list[list[Any]]]:
            for index, plain in enumerate(reader.decrypt(key)):
                message = decode_message(plain, index)
                if message[0] == "entries":
                    yield message[1:]

        return again

    def from_image() -> Iterator[list[list[Any]]]:
        snapshot = SqliteSnapshot(str(image))
        try:
            for rows in snapshot.entry_pages(ENTRY_PAGE):
                yield [list(c) for c in zip(*rows, strict=True)]
        finally:
            snapshot.close()

    for columns in from_image():
        checker.directory_page(columns)
    return from_image


def _compare(manifest: dict[str, Any], tree: LogRoot, counts: dict[str, int], n: int) -> None:
    if n != manifest["entries"] or tree.size != manifest["tree_size"]:
        raise BackupCorrupt(
            f"the backup holds {n} entries, its manifest says {manifest['entries']}"
        )
    if tree.root() != manifest.get("tree_root"):
        raise BackupCorrupt("the entry ids do not give the tree root the manifest signs")
    for name, value in counts.items():
        if value != manifest[name]:
            raise BackupCorrupt(f"the backup holds {value} {name} rows, its manifest says "
                                f"{manifest[name]}")


class _EntryChecker:
    """Every entry's encoding, id, columns and signature, a page at a time."""

    def __init__(self, root_public: bytes) -> None:
        self.directory = Directory(root_public)
        self.count = 0
        self.findings: list[Finding] = []

    def directory_page(self, columns: list[list[Any]]) -> None:
        """Learn the certificates and revocations among a page of rows."""
        for _seq, record, signed, sig in zip(
            columns[0], columns[2], columns[7], columns[8], strict=True
        ):
            if record != DIRECTORY_RECORD:
                continue
            try:
                entry = decode_signed(signed, sig)
                self.directory.check_signature(entry)
                self.directory.absorb(entry)
            except CarechainError:
                continue  # named in the second pass

    def page(self, columns: list[list[Any]]) -> None:
        entries: list[tuple[int, Entry]] = []
        for seq, id_, record, cls, author, hlc_ms, hlc_counter, signed, sig, _ in zip(
            *columns, strict=True
        ):
            self.count += 1
            try:
                entry = decode_signed(signed, sig)
            except CarechainError as exc:
                self.findings.append(Finding(seq, id_.hex(), exc.code, exc.detail))
                continue
            h = entry.header
            if hashlib.sha256(signed).digest() != id_:
                self.findings.append(Finding(seq, id_.hex(), "bad-id", "id is not the hash"))
            elif (record, cls, author, hlc_ms, hlc_counter) != (
                h.record, h.cls, h.author, h.hlc.ms, h.hlc.counter
            ):
                self.findings.append(
                    Finding(seq, id_.hex(), "bad-encoding", "stored columns differ from header")
                )
            else:
                entries.append((seq, entry))
        answers = self.directory.verify_batch([e for _, e in entries])
        for (seq, entry), ok in zip(entries, answers, strict=True):
            try:
                self.directory.check_signature(entry, ok)
            except CarechainError as exc:
                self.findings.append(Finding(seq, entry.hex, exc.code, exc.detail))

    def finish(self) -> list[Finding]:
        """Return every finding, in log order."""
        return sorted(self.findings, key=lambda f: f.seq)

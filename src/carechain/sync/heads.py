"""What a node believes of each hub's log: the last head it accepted, and its alerts.

A node accepts a new head from a hub only if it is signed by a certified hub key and is
provably an extension of the last head it accepted (RFC 9162 consistency proof). Anything
else raises an integrity alert that names the hub and both heads, and the node stops
syncing with that hub until an operator clears it. Heads gossiped by other nodes are
compared the same way, so a hub showing two histories is caught.

A hub's log may move to a new key only by the trust root's hub key transition (see
`carechain.trust.transition`): the first head of the new key's log must extend the head the
trust vouched for, and every head this node accepted under the old key must be a prefix
of it. A head signed by the old key beyond that head or after the transition, or by a
revoked hub key from its revocation on, or by a second key under a hub's name that no
transition names, is refused with an alert.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from carechain.errors import CarechainError
from carechain.store import Store
from carechain.sync.wire import decode_head, encode_head
from carechain.transparency import (
    GossipResult,
    HeadSignatureError,
    LogMisbehaviour,
    LogRolledBack,
    ProofError,
    SignedTreeHead,
    check_extension,
    compare_gossip,
    describe_head,
    log_id_from_key,
    verify_consistency,
    verify_head,
)
from carechain.trust import Certificate, Directory
from carechain.trust.transition import KeyTransition

__all__ = ["HeadKeeper", "HubMisbehaved"]

ProofFetcher = Callable[[int, int], Sequence[bytes]]


class HubMisbehaved(CarechainError):
    """A hub's answers are not consistent with what it signed before."""

    code = "hub-misbehaved"
    status = 502
    title = "Hub integrity alert"


@dataclass(frozen=True)
class Alert:
    """One integrity alert."""

    at_ms: int
    hub: str
    kind: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return the alert as JSON."""
        return {"at_ms": self.at_ms, "hub": self.hub, "kind": self.kind, "detail": self.detail}


class HeadKeeper:
    """Keeps the last accepted head of every hub log, and the alerts raised about them."""

    def __init__(self, store: Store, directory: Directory) -> None:
        self._store = store
        self._directory = directory
        self._hubs: dict[bytes, Certificate] = {}  # log id → hub certificate, once found
        self._decoded: tuple[bytes, SignedTreeHead] | None = None  # the last head read

    def hub_for(self, log_id: bytes) -> Certificate | None:
        """Return the certificate of the hub whose key this log id names."""
        known = self._hubs.get(log_id)
        if known is not None:
            return known
        for cert in self._directory.nodes("hub"):
            if log_id_from_key(cert.sig_key) == log_id:
                self._hubs[log_id] = cert
                return cert
        return None

    def accepted(self, log_id: bytes) -> SignedTreeHead | None:
        """Return the last head of this log that the node accepted."""
        raw = self._store.get_meta(f"head:{log_id.hex()}")
        if not raw:  # never accepted, or forgotten by an operator (`forget`)
            return None
        if self._decoded is None or self._decoded[0] != raw:
            self._decoded = (raw, decode_head(raw))
        return self._decoded[1]

    def resume_cursor(self, direction: str, cert: Certificate) -> int:
        """Return where pulling from (`direction` "pull") or pushing to ("push") this peer
        resumes: its own cursor, or, for a hub key that took over a log, the cursor of the
        nearest key before it, so a new key does not mean walking the whole log again.

        Sound because the first head of the new key is taken only if it extends every head
        this node accepted under the old one (`offer`): the positions are the same, and
        whatever the old hub acknowledged to this node, with a proof against an accepted
        head, is in the new log; nothing from the new key is taken before that check.
        """
        keys = [cert.key_id, *(t.old for t in self._directory.predecessors(cert.key_id))]
        for key_id in keys:
            raw = self._store.get_meta(f"{direction}:{key_id.hex()}")
            if raw:
                return int(raw)
        return 0

    def heads(self) -> list[SignedTreeHead]:
        """Return every accepted head, for gossip."""
        return [decode_head(v) for _, v in self._store.meta_items("head:") if v]

    def blocked(self, log_id: bytes) -> bool:
        """Return whether syncing with this hub is stopped by an alert."""
        return bool(self._store.get_meta(f"blocked:{log_id.hex()}"))

    def alerts(self) -> list[Alert]:
        """Return every alert, oldest first."""
        return [Alert(**json.loads(v)) for _, v in self._store.meta_items("alert:")]

    def blocked_logs(self) -> dict[bytes, str]:
        """Return each blocked hub log (id → the kind of alert that blocked it)."""
        return {
            bytes.fromhex(key.removeprefix("blocked:")): value.decode("utf-8", "replace")
            for key, value in self._store.meta_items("blocked:")
            if value
        }

    def clear(self, log_id: bytes) -> None:
        """Let syncing with a hub resume (an operator has dealt with the alert)."""
        self._store.set_meta(f"blocked:{log_id.hex()}", b"")

    def forget(self, log_id: bytes) -> None:
        """Forget the last head accepted from a hub: its next head is taken as a first one
        (after the trust has rebuilt the hub's log, say). Alerts stay in the history."""
        self._store.set_meta(f"head:{log_id.hex()}", b"")
        self._decoded = None

    def alert(self, hub: str, log_id: bytes, kind: str, detail: str) -> HubMisbehaved:
        """Record an alert, stop syncing with the hub, and return the error to raise."""
        now = time.time_ns() // 1_000_000
        alert = Alert(now, hub, kind, detail)
        key = f"alert:{now:015d}:{log_id.hex()[:16]}:{kind}"
        self._store.set_meta(key, json.dumps(alert.to_dict()).encode())
        self._store.set_meta(f"blocked:{log_id.hex()}", kind.encode())
        return HubMisbehaved(f"hub {hub}: {kind}: {detail}", hub=hub, kind=kind)

    def note(self, peer: str, kind: str, detail: str, about: str) -> None:
        """Record an alert about a node that keeps no log (once per `about`, say an entry
        id): it is listed with the hub alerts, but syncing with that node goes on, since
        a direct handover must keep working (P1)."""
        marker = f"noted:{kind}:{about}"
        if self._store.get_meta(marker):
            return
        now = time.time_ns() // 1_000_000
        alert = Alert(now, peer, kind, detail)
        key = f"alert:{now:015d}:{about[:16]}:{kind}"
        self._store.set_meta_many([(key, json.dumps(alert.to_dict()).encode()), (marker, b"1")])

    def _verified(self, sth: SignedTreeHead) -> Certificate:
        cert = self.hub_for(sth.head.log_id)
        if cert is None:
            raise HubMisbehaved(f"tree head of unknown log {sth.head.log_id.hex()[:16]}")
        try:
            verify_head(sth, cert.sig_key)
        except HeadSignatureError:
            raise self.alert(
                cert.name,
                sth.head.log_id,
                "bad-head-signature",
                f"head {describe_head(sth.head)} is not signed by the hub",
            ) from None
        revoked = self._directory.revoked.get(cert.key_id)
        if revoked is not None and sth.head.timestamp_ms >= revoked[0]:
            raise self.alert(
                cert.name,
                sth.head.log_id,
                "revoked-hub-key",
                f"head {describe_head(sth.head)} is signed by a hub key revoked from "
                f"{revoked[0]} ({revoked[1]})",
            )
        done = self._directory.handed_over.get(cert.key_id)
        if done is not None and (sth.size > done.size or sth.head.timestamp_ms > done.at_ms):
            raise self.alert(
                cert.name,
                sth.head.log_id,
                "old-hub-key-after-transition",
                f"head {describe_head(sth.head)} is signed by a hub key the trust replaced "
                f"after the head of size {done.size} (at {done.at_ms})",
            )
        return cert

    def _successor(self, cert: Certificate) -> bool:
        """Return whether a hub key took over a log or shares its hub's name with another."""
        return bool(self._directory.transitions.get(cert.key_id)) or any(
            c.name == cert.name and c.key_id != cert.key_id for c in self._directory.nodes("hub")
        )

    def _family(self, key_id: bytes) -> set[bytes]:
        """Return the hub keys linked to this one by transitions, either way."""
        family, grown = {key_id}, True
        while grown:
            linked = {
                k
                for t in self._directory.transitions.values()
                if t.old in family or t.new in family
                for k in (t.old, t.new)
            }
            grown = not linked <= family
            family |= linked
        return family

    def _first_under_key(self, cert: Certificate, sth: SignedTreeHead, fetch: ProofFetcher) -> None:
        """Check the first head this node sees of a hub key's log: if the key took over
        another's log, the transitions must vouch for it and for what this node holds."""
        chain = self._directory.predecessors(cert.key_id)
        family = self._family(cert.key_id)
        rival = next(
            (
                c
                for c in self._directory.nodes("hub")
                if c.name == cert.name and c.key_id not in family
            ),
            None,
        )
        if rival is not None:
            raise self.alert(
                cert.name,
                sth.head.log_id,
                "hub-key-not-vouched",
                f"hub {cert.name!r} signs with key {cert.key_id.hex()[:16]}, and no hub key "
                f"transition links it with key {rival.key_id.hex()[:16]} of the same hub",
            )
        for step in chain:
            self._continues(cert, sth, step, fetch)

    def _continues(
        self, cert: Certificate, sth: SignedTreeHead, step: KeyTransition, fetch: ProofFetcher
    ) -> None:
        """Check that `sth` extends a transition's vouched head and what this node accepted
        under the old key; alert otherwise."""
        old = self._directory.certs.get(step.old)
        mine = self.accepted(log_id_from_key(old[0].sig_key)) if old else None
        if mine is not None and mine.size > step.size:
            raise self.alert(
                cert.name,
                sth.head.log_id,
                "old-hub-key-after-transition",
                f"this node accepted a head of size {mine.size} under the old hub key, beyond "
                f"the head of size {step.size} the trust vouched for",
            )
        held = [(step.size, step.root, "the head the trust vouched for")]
        if mine is not None:
            held.append((mine.size, mine.root, "the last head accepted under the old key"))
        for size, root, what in held:
            try:
                if size > sth.size:
                    raise ProofError(f"the new log is smaller ({sth.size}) than {size}")
                if 0 < size == sth.size and root != sth.root:
                    raise ProofError(f"two roots for size {size}")
                if 0 < size < sth.size:
                    verify_consistency(size, sth.size, fetch(size, sth.size), root, sth.root)
            except ProofError as exc:
                raise self.alert(
                    cert.name,
                    sth.head.log_id,
                    "key-transition-broken",
                    f"head {describe_head(sth.head)} under the new key does not extend "
                    f"{what} (size {size}): {exc.reason}",
                ) from None

    def offer(
        self,
        sth: SignedTreeHead,
        fetch: ProofFetcher,
        writes: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Accept a hub's new head if it extends the last one accepted, else alert.

        With `writes`, the accepted head is added there for the caller to store in the
        same transaction as what it proves (a push's marks) instead of on its own.

        Every head comes with the answer to one of this node's requests, and the stream
        and a sync round can be answered in either order: a head smaller than one
        accepted meanwhile is taken (and not stored) only if the hub proves it a prefix of
        that one. Otherwise, and for an empty head, the log was rolled back.
        """
        cert = self._verified(sth)
        log_id = sth.head.log_id
        if self.blocked(log_id):
            raise HubMisbehaved(f"hub {cert.name} is blocked by an earlier integrity alert")
        old = self.accepted(log_id)
        if old is None:
            self._first_under_key(cert, sth, fetch)
        else:
            proof: Sequence[bytes] = ()
            try:
                if 0 < sth.size < old.size:
                    self._older(old, sth, fetch)
                    return
                if 0 < old.size < sth.size:
                    proof = fetch(old.size, sth.size)
                check_extension(old, sth, proof)
            except LogMisbehaviour as exc:
                raise self.alert(cert.name, log_id, type(exc).__name__, str(exc)) from None
            if sth.size < old.size:
                return
        item = (f"head:{log_id.hex()}", encode_head(sth))
        if writes is None:
            self._store.set_meta(*item)
        else:
            writes.append(item)

    @staticmethod
    def _older(accepted: SignedTreeHead, older: SignedTreeHead, fetch: ProofFetcher) -> None:
        """Check that a smaller head is a prefix of the accepted one, else: rolled back."""
        try:
            check_extension(older, accepted, fetch(older.size, accepted.size))
        except LogMisbehaviour as exc:
            raise LogRolledBack(
                accepted,
                older,
                f"size went down from {accepted.size} to {older.size} and the hub cannot "
                f"prove the smaller head a prefix of the larger ({exc})",
            ) from None

    def gossip_noting(self, theirs: Sequence[SignedTreeHead]) -> list[str]:
        """Compare gossiped heads; a fork is alerted and noted, never fatal to the exchange.

        Between two nodes that are not hubs, a misbehaving hub must not stop a direct
        handover: the alert is kept and the sync goes on.
        """
        try:
            return self.gossip(theirs, None)
        except HubMisbehaved as exc:
            return [exc.detail]

    def gossip(self, theirs: Sequence[SignedTreeHead], fetch: ProofFetcher | None) -> list[str]:
        """Compare heads another node holds with ours; alert on any fork. Return notes."""
        notes: list[str] = []
        for sth in theirs:
            try:
                cert = self._verified(sth)
            except HubMisbehaved as exc:
                notes.append(exc.detail)
                continue
            mine = self.accepted(sth.head.log_id)
            if mine is None:
                if self._successor(cert):
                    if fetch is None:  # a new key's first head is taken from its hub
                        notes.append(f"{cert.name}: unchecked (a new hub key)")
                        continue
                    self._first_under_key(cert, sth, fetch)
                self._store.set_meta(f"head:{sth.head.log_id.hex()}", encode_head(sth))
                continue
            try:
                result = compare_gossip(mine, sth, fetch)
            except LogMisbehaviour as exc:
                raise self.alert(
                    cert.name, sth.head.log_id, "fork-seen-in-gossip", str(exc)
                ) from None
            if result is GossipResult.UNCHECKED:
                key = f"pending:{sth.head.log_id.hex()}:{sth.size:020d}"
                self._store.set_meta(key, encode_head(sth))
            notes.append(f"{cert.name}: {result.value}")
        return notes

    def check_pending(self, log_id: bytes, fetch: ProofFetcher) -> None:
        """Check heads gossiped earlier, when sizes differed, now that the hub can prove."""
        mine = self.accepted(log_id)
        if mine is None:
            return
        for key, raw in self._store.meta_items(f"pending:{log_id.hex()}:"):
            if not raw:
                continue  # settled earlier
            theirs = decode_head(raw)
            try:
                compare_gossip(mine, theirs, fetch)
            except LogMisbehaviour as exc:
                cert = self.hub_for(log_id)
                raise self.alert(
                    cert.name if cert else log_id.hex()[:16],
                    log_id,
                    "fork-seen-in-gossip",
                    str(exc),
                ) from None
            self._store.set_meta(key, b"")

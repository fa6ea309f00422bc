"""The MLLP listener: HL7 v2 messages framed `0x0B … 0x1C 0x0D` from monitors on the crew
network, each answered with an ACK before the next is read.

A connection is read into a buffer bounded by `max_message` bytes; a frame longer than that
is answered `AR` and the connection closed, bytes outside a frame are discarded, a frame
cut off by a disconnect or left unfinished for `idle_s` is dropped without storing
anything. One message is processed at a time per connection and its ACK is written (and
drained) before more is read, so a monitor that floods is slowed by TCP itself; at most
`max_connections` monitors are served at once. Accepted readings (all of a message's, or
none) are held through `carechain.operations` for the crew member who attached the
monitor and written as one signed `vitals.chunk` entry a minute per monitor, before the
record's handover or sign-off, on detach and when the listener stops
(`carechain.operations.readings`); an `AA` means "held", not yet "signed and stored".
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from carechain.devices.ack import ack
from carechain.devices.mapping import DeviceMap
from carechain.devices.pcd01 import Refused, parse_report
from carechain.errors import CarechainError, InvalidInput
from carechain.operations.devices import Monitors

__all__ = ["END", "START", "MllpListener", "frame"]

START, END = b"\x0b", b"\x1c\x0d"
MAX_MESSAGE = 256 * 1024
READ_CHUNK = 16 * 1024


def frame(payload: bytes) -> bytes:
    """Wrap a message in MLLP framing."""
    return START + payload + END


class MllpListener:
    """Listen for PCD-01 messages on `host:port` in a thread of its own."""

    def __init__(self, monitors: Monitors, table: DeviceMap, *, host: str = "127.0.0.1",
                 port: int = 2575, max_message: int = MAX_MESSAGE, idle_s: float = 30.0,
                 max_connections: int = 8) -> None:
        self.monitors = monitors
        self.table = table
        self.host, self.port = host, port
        self.max_message = max_message
        self.idle_s = idle_s
        self.max_connections = max_connections
        self._writes = ThreadPoolExecutor(1, thread_name_prefix="mllp-store")
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mllp", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start listening; returns once the socket is bound (raises if it cannot be)."""
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        self.monitors.readings.start()

    def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(5)
        self._writes.shutdown(wait=True)
        self.monitors.readings.close()  # every held reading is written before the node stops

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        try:
            server = await asyncio.start_server(self._serve, self.host, self.port,
                                                limit=READ_CHUNK)
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        await self._stopping.wait()
        server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None or len(self._connections) >= self.max_connections:
            writer.close()
            return
        self._connections.add(task)
        try:
            await self._frames(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.CancelledError):
            pass  # a monitor gone or silent mid-frame, or the listener stopping: dropped
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _frames(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        while True:
            chunk = await asyncio.wait_for(reader.read(READ_CHUNK), self.idle_s)
            if not chunk:
                return
            buffer += chunk
            while True:
                start = buffer.find(START)
                if start < 0:
                    buffer.clear()  # bytes outside any frame
                    break
                del buffer[:start]
                end = buffer.find(END)
                if end < 0 or end - 1 > self.max_message:
                    if len(buffer) - 1 > self.max_message:
                        writer.write(frame(ack("AR", "", reason="message larger than "
                                               f"{self.max_message} bytes")))
                        await writer.drain()
                        return
                    break
                payload = bytes(buffer[1:end])
                del buffer[:end + 2]
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(self._writes, self.handle, payload)
                writer.write(frame(answer))
                await writer.drain()

    def handle(self, payload: bytes) -> bytes:
        """Process one message and return its ACK (holding its readings for the record's next
        chunk, or nothing)."""
        try:
            report = parse_report(payload, self.table)
        except Refused as exc:
            return ack(exc.code, _control_id(payload), reason=exc.reason)
        where = self.monitors.attachment(report.monitor)
        accepted = False
        try:
            if where is None:
                raise Refused("AE", f"monitor {report.monitor!r} is not attached to a record "
                              "on this device")
            self.monitors.readings.add(where.actor, where.record, report.monitor,
                                       report.frames)
            accepted = True
        except Refused as exc:
            return ack(exc.code, report.control_id, reason=exc.reason,
                       receiving_app=report.sending_app,
                       receiving_facility=report.sending_facility)
        except InvalidInput as exc:  # e.g. a frame dated in the future by the monitor's clock
            return ack("AE", report.control_id, reason=f"not stored: {exc}",
                       receiving_app=report.sending_app,
                       receiving_facility=report.sending_facility)
        except CarechainError as exc:
            return ack("AR", report.control_id, reason=f"not stored: {exc}",
                       receiving_app=report.sending_app,
                       receiving_facility=report.sending_facility)
        finally:
            self.monitors.heard(report.monitor, report.sending_app, report.sending_facility,
                                accepted)
        return ack("AA", report.control_id, warnings=report.unknown,
                   receiving_app=report.sending_app, receiving_facility=report.sending_facility)


def _control_id(payload: bytes) -> str:
    """Return MSH-10 of a message that could not be parsed, if it can be found."""
    first = payload.split(b"\r", 1)[0].decode("latin-1")
    fields = first.split("|")
    return fields[9] if first.startswith("MSH") and len(fields) > 9 else ""

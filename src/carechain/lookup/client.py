"""The PDS adapter: a base class (the seam), and the HTTP implementation over httpx.

    PdsError                  the lookup did not answer
    ├── PdsUnavailable        no answer now (unreachable, timed out, throttled past the
    │                         retries, a 5xx): the lookup is queued and tried again
    └── PdsRefused            PDS refused the request itself (a 4xx): trying again will
                              not help; the crew is told why

A `429 Too Many Requests` is retried after its `Retry-After` (seconds), at most `retries`
times and never waiting more than `max_wait_s` in all, so a crew's lookup never hangs on a
throttled service; past that it is `PdsUnavailable` and waits in the queue.
"""

from __future__ import annotations

import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import httpx

from carechain.clinical.nhs_number import check_nhs_number
from carechain.errors import FieldInvalid
from carechain.lookup.pds import Answer, Search, parse_read, parse_search

__all__ = ["HttpPds", "Pds", "PdsError", "PdsRefused", "PdsUnavailable"]


class PdsError(Exception):
    """The lookup did not answer."""


class PdsUnavailable(PdsError):
    """No answer now: try again later."""


class PdsRefused(PdsError):
    """PDS refused the request: trying again will not help."""


class Pds(ABC):
    """Where demographics come from."""

    @abstractmethod
    def search(self, query: Search) -> Answer:
        """Return PDS's answer to a search by demographics."""

    @abstractmethod
    def read(self, nhs_number: str) -> Answer:
        """Return PDS's answer to a read by NHS number."""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _diagnostics(response: httpx.Response) -> str:
    try:
        issues = response.json().get("issue") or []
        found = [str(i.get("diagnostics") or "") for i in issues if isinstance(i, dict)]
        return "; ".join(d for d in found if d) or response.reason_phrase
    except (ValueError, AttributeError):
        return response.reason_phrase


class HttpPds(Pds):
    """The PDS FHIR API at `base_url` (e.g. `…/personal-demographics/FHIR/R4`)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        retries: int = 2,
        max_wait_s: float = 5.0,
        session_urid: str | None = None,
        token: Callable[[], str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.max_wait_s = max_wait_s
        self.session_urid = session_urid
        self.token = token
        self.sleep = sleep
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/fhir+json", "X-Request-ID": str(uuid.uuid4())}
        if self.session_urid is not None:
            headers["NHSD-Session-URID"] = self.session_urid
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token()}"
        return headers

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> httpx.Response:
        waited = 0.0
        for attempt in range(self.retries + 1):
            try:
                response = self._http.get(self.base_url + path,
                                          params=httpx.QueryParams(tuple(params or ())),
                                          headers=self._headers())
            except httpx.TimeoutException as exc:
                raise PdsUnavailable(
                    f"PDS did not answer in time ({exc.__class__.__name__})") from exc
            except httpx.TransportError as exc:
                raise PdsUnavailable(f"PDS is unreachable ({exc.__class__.__name__})") from exc
            if response.status_code != 429:
                return response
            wait = _retry_after(response)
            if attempt == self.retries or waited + wait > self.max_wait_s:
                break
            self.sleep(wait)
            waited += wait
        raise PdsUnavailable(
            f"PDS is throttling requests (429, Retry-After {_retry_after(response):g} s)")

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 500 or response.status_code == 408:
            raise PdsUnavailable(f"PDS answered {response.status_code}: {_diagnostics(response)}")
        if response.status_code >= 400:
            raise PdsRefused(f"PDS refused the request ({response.status_code}): "
                             f"{_diagnostics(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise PdsUnavailable("PDS answered something that is not JSON") from exc

    def search(self, query: Search) -> Answer:
        """Search PDS by demographics (non-fuzzy, up to PDS's own limit of matches)."""
        try:
            return parse_search(self._json(self._get("/Patient", query.params())))
        except ValueError as exc:
            raise PdsUnavailable(str(exc)) from exc

    def read(self, nhs_number: str) -> Answer:
        """Read a patient by NHS number; a number PDS does not know is no match."""
        check = check_nhs_number(nhs_number)
        if not check.valid or check.number is None:
            raise FieldInvalid("nhs_number", check.reason or "is not a valid NHS number")
        response = self._get(f"/Patient/{check.number}")
        if response.status_code == 404:
            return Answer("no_match")
        try:
            return parse_read(self._json(response))
        except ValueError as exc:
            raise PdsUnavailable(str(exc)) from exc

"""The PDS adapter against the fake PDS served on loopback: every answer, and with it stopped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from carechain.errors import FieldInvalid
from carechain.lookup import HttpPds, PdsRefused, PdsUnavailable, Search
from carechain.lookup.fake import FakePds
from carechain.testing import ServedApp


@pytest.fixture
def fake() -> FakePds:
    return FakePds()


@pytest.fixture
def served(fake: FakePds) -> Iterator[ServedApp]:
    app = ServedApp(fake.app())
    yield app
    app.stop()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def pds(served: ServedApp, slept: list[float]) -> Iterator[HttpPds]:
    client = HttpPds(served.url, timeout_s=2.0, session_urid="555254242106",
                     sleep=slept.append)
    yield client
    client.close()


JANE = Search(family="Smith", given="Jane", birthdate=date(2010, 10, 22), gender="female")


def test_search_one_match_with_its_verification_status(pds: HttpPds, fake: FakePds) -> None:
    answer = pds.search(JANE)
    assert answer.outcome == "match"
    (jane,) = answer.patients
    assert (jane.nhs_number, jane.verification_status, jane.score) == ("9000000009", "01", 1.0)
    assert jane.patient_fields() == {
        "nhs_number": "9000000009", "given_name": "Jane", "family_name": "Smith",
        "date_of_birth": "2010-10-22", "sex": "female", "address": "1 Trevelyan Square, Leeds",
        "postcode": "LS1 6AE", "gp_practice": "Y12345", "nhs_number_status": "01"}
    request = fake.seen[-1]
    assert request["path"] == "/Patient"
    assert ("birthdate", "eq2010-10-22") in request["params"]
    assert ("family", "Smith") in request["params"]
    assert request["headers"]["nhsd-session-urid"] == "555254242106"
    assert len(request["headers"]["x-request-id"]) == 36  # a UUID per request


def test_read_by_nhs_number(pds: HttpPds) -> None:
    answer = pds.read("900 000 0009")
    assert answer.outcome == "match"
    assert answer.patients[0].family_name == "Smith"


def test_no_match_on_search_and_on_read(pds: HttpPds) -> None:
    assert pds.search(Search(family="Nobody", birthdate=date(1990, 1, 1))).outcome == "no_match"
    assert pds.read("9449306621").outcome == "no_match"  # valid, unknown to PDS: 404


def test_multiple_matches_best_first(pds: HttpPds) -> None:
    answer = pds.search(Search(family="Smythe", given="John", birthdate=date(1957, 3, 14)))
    assert answer.outcome == "multiple"
    assert [p.nhs_number for p in answer.patients] == ["9000000017", "9000000025"]
    assert [p.verification_status for p in answer.patients] == ["01", "02"]


def test_too_many_matches(pds: HttpPds, fake: FakePds) -> None:
    fake.too_many = 1
    answer = pds.search(Search(family="Sm*", birthdate=date(1957, 3, 14)))
    assert (answer.outcome, answer.patients) == ("multiple", ())


def test_restricted_patient_has_no_address(pds: HttpPds) -> None:
    (janet,) = pds.search(Search(family="Smythe", birthdate=date(2005, 6, 16))).patients
    assert janet.restricted
    assert janet.address is None and janet.postcode is None and janet.gp_practice is None


def test_429_is_retried_after_retry_after(pds: HttpPds, fake: FakePds,
                                          slept: list[float]) -> None:
    fake.throttle(2, retry_after=2)
    assert pds.read("9000000009").outcome == "match"
    assert slept == [2.0, 2.0]
    assert len(fake.seen) == 3


def test_429_past_the_retries_is_unavailable(pds: HttpPds, fake: FakePds,
                                             slept: list[float]) -> None:
    fake.throttle(5, retry_after=1)
    with pytest.raises(PdsUnavailable, match="429"):
        pds.search(JANE)
    assert slept == [1.0, 1.0] and len(fake.seen) == 3


def test_429_waiting_longer_than_allowed_is_not_waited_for(pds: HttpPds, fake: FakePds,
                                                          slept: list[float]) -> None:
    fake.throttle(1, retry_after=60)
    with pytest.raises(PdsUnavailable, match="Retry-After 60"):
        pds.search(JANE)
    assert slept == []


def test_timeout_is_unavailable(served: ServedApp, fake: FakePds) -> None:
    fake.delay_s = 1.0
    client = HttpPds(served.url, timeout_s=0.2)
    with pytest.raises(PdsUnavailable, match="in time"):
        client.read("9000000009")
    client.close()


def test_stopped_fake_is_unavailable(served: ServedApp, pds: HttpPds) -> None:
    served.stop()
    with pytest.raises(PdsUnavailable, match="unreachable"):
        pds.search(JANE)


def test_refusal_names_pds_diagnostics(served: ServedApp) -> None:
    client = HttpPds(served.url)
    client._headers = lambda: {}  # type: ignore[method-assign]  # no X-Request-ID
    with pytest.raises(PdsRefused, match="X-Request-ID header must be supplied"):
        client.read("9000000009")
    client.close()


@pytest.mark.parametrize(("field", "kwargs"), [
    ("family_name", {"family": "Sm1th"}),
    ("given_name", {"family": "Smith", "given": ""}),
    ("postcode", {"family": "Smith", "postcode": "LS1 6AE;DROP"}),
])
def test_bad_search_names_the_field(field: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(FieldInvalid) as err:
        Search(birthdate=date(1990, 1, 1), **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_bad_nhs_number_is_refused_before_asking(pds: HttpPds, fake: FakePds) -> None:
    with pytest.raises(FieldInvalid, match="nhs_number"):
        pds.read("4857773456")
    assert fake.seen == []

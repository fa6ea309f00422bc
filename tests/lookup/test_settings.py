"""The PDS settings: refused by name when unsafe or out of range, and only on a crew node."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carechain.cli import app
from carechain.config import Settings
from carechain.errors import FieldInvalid
from carechain.testing import Trust, make_node


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"pds_url": "http://pds.example/FHIR/R4"}, "pds_url"),  # clear text off this machine
    ({"pds_url": "ftp://pds.example"}, "pds_url"),
    ({"pds_timeout_s": 0.1}, "pds_timeout_s"),
    ({"pds_timeout_s": 31.0}, "pds_timeout_s"),
])
def test_unsafe_or_out_of_range_pds_settings_are_refused(kwargs: dict[str, object],
                                                         field: str) -> None:
    with pytest.raises(FieldInvalid) as err:
        Settings(data_dir=Path("x"), **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize("kwargs", [
    {"pds_url": "https://pds.example/personal-demographics/FHIR/R4"},
    {"pds_url": "http://127.0.0.1:9000"},  # the fake, on this machine
    {"pds_url": "http://pds.test:9000", "dev": True},
    {"pds_timeout_s": 0.2}, {"pds_timeout_s": 30.0},
])
def test_pds_settings_taken(kwargs: dict[str, object]) -> None:
    Settings(data_dir=Path("x"), **kwargs)  # type: ignore[arg-type]


def test_serve_refuses_a_pds_url_on_a_hub(tmp_path: Path, trust: Trust) -> None:
    make_node(tmp_path / "hub", trust, role="hub", name="hub", secret="s").close()
    result = CliRunner().invoke(app, ["serve", "--dir", str(tmp_path / "hub"), "--pds-url",
                                      "https://pds.example"], env={"CARECHAIN_SECRET": "s"})
    assert result.exit_code != 0
    assert "--pds-url is for crew nodes" in result.output

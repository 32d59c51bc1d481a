from pathlib import Path

import pytest
import yaml

from derbes.errors import RegisterError
from derbes.register.adapters.yaml import load_register, parse_register
from derbes.register.model.register import BasisKind, RetentionTrigger

FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "minimal.yaml"


def _mutated(edit: str, replacement: str) -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    assert edit in text
    return text.replace(edit, replacement, 1)


def test_minimal_register_loads() -> None:
    loaded = load_register(FIXTURE)
    register = loaded.register
    assert register.operator.id == "example-pay"
    assert register.purposes["aml_identification"].basis.kind is BasisKind.LEGAL_OBLIGATION
    retention = register.purposes["payment_service"].retention
    assert retention is not None
    assert retention.trigger is RetentionTrigger.CONTRACT_CLOSED
    assert str(retention.period) == "5 years"
    assert "identity.iin" in register.categories  # from the base taxonomy
    assert len(loaded.sha256) == 64
    assert loaded.line_of("purposes[1].categories[1]") is not None


def _problems(text: str) -> list[str]:
    with pytest.raises(RegisterError) as info:
        parse_register(text, "reg.yaml")
    return [p.render() for p in info.value.problems]


def test_malformed_yaml_gives_file_and_line() -> None:
    rendered = _problems("schema_version: 1\noperator: [a,\n")
    assert rendered[0].startswith("reg.yaml:")
    assert "malformed YAML" in rendered[0]


def test_unknown_category_gives_path_and_line() -> None:
    text = _mutated("[identity.full_name, identity.iin, identity.id_document]",
                    "[identity.full_name, identity.iin, identity.passport_scan]")
    rendered = _problems(text)
    assert any("purposes[1].categories[2]" in r and "identity.passport_scan" in r for r in rendered)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "identity.passport_scan" in ln)
    assert any(r.startswith(f"reg.yaml:{line} ") for r in rendered)


def test_unquoted_bin_is_explained() -> None:
    rendered = _problems(_mutated('bin: "130940014692"', "bin: 060640010247"))
    assert any("operator.bin" in r and "quote it" in r for r in rendered)


def test_wrong_bin_checksum_is_refused() -> None:
    rendered = _problems(_mutated('bin: "130940014692"', 'bin: "130940014693"'))
    assert any("operator.bin" in r and "BIN" in r for r in rendered)


def test_duplicate_id_is_refused() -> None:
    rendered = _problems(_mutated("  - id: afm\n", "  - id: card_processor\n"))
    assert any("duplicate id 'card_processor'" in r for r in rendered)


def test_retention_period_that_does_not_parse() -> None:
    rendered = _problems(_mutated("period: 30 working days", "period: thirty days"))
    assert any("purposes[2].retention.period" in r and "thirty days" in r for r in rendered)


def test_duplicate_yaml_key_is_refused() -> None:
    rendered = _problems(_mutated("schema_version: 1\n", "schema_version: 1\nschema_version: 1\n"))
    assert any("duplicate key 'schema_version'" in r for r in rendered)


def test_unknown_key_is_refused() -> None:
    rendered = _problems(_mutated("  kind: payment_organisation\n",
                                  "  kind: payment_organisation\n  colour: blue\n"))
    assert any("unknown key" in r and "colour" in r for r in rendered)


def test_every_problem_is_reported_at_once() -> None:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    data["purposes"][0]["categories"].append("nope.one")
    data["purposes"][1]["recipients"].append("nobody")
    rendered = _problems(yaml.safe_dump(data, allow_unicode=True))
    assert len(rendered) >= 2


def test_missing_file_is_a_register_error(tmp_path: Path) -> None:
    with pytest.raises(RegisterError) as info:
        load_register(tmp_path / "absent.yaml")
    assert "file not found" in info.value.message

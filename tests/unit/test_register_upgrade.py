"""Upgrading a schema 1 register: the per-entry edits of purposes and recipients."""

from __future__ import annotations

from derbes.register.model.upgrade import Remove, Rename, Replace, upgrade


def test_purposes_and_recipients_are_edited_by_their_own_paths() -> None:
    raw = {
        "schema_version": 1,
        "purposes": [
            "not a mapping: left for the schema check",
            {"id": "p", "clause": "Art. 7", "sources": ["credit_bureaus"], "methods": []},
        ],
        "recipients": [{"id": "r", "clause": "Art. 9", "country": "zz"}, 42],
    }
    done = upgrade(raw)
    assert done.data["purposes"][0] == raw["purposes"][0]
    assert done.data["purposes"][1] == {"id": "p", "source": "Art. 7", "methods": [],
                                        "data_sources": ["credit_bureau"]}
    assert done.data["recipients"] == [{"id": "r", "source": "Art. 9"}, 42]
    for edit in (Rename("purposes[1].clause", "source"),
                 Replace("purposes[1].sources", ["credit_bureaus"], ["credit_bureau"]),
                 Rename("purposes[1].sources", "data_sources"),
                 Rename("recipients[0].clause", "source"),
                 Remove("recipients[0].country")):
        assert edit in done.edits
    noted = {n.split(":")[0] for n in done.notes}
    assert "purposes[1]" in noted
    assert not noted & {"purposes[0]", "recipients[1]"}


def test_a_section_that_is_not_a_list_is_left_alone() -> None:
    done = upgrade({"schema_version": 1, "purposes": {"id": "p"}, "recipients": "none"})
    assert done.data["purposes"] == {"id": "p"}
    assert done.data["recipients"] == "none"

"""Changes of what the register declares: data categories, subject categories, tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from derbes.platform.labels import Labels
from derbes.register.model.diff.changes import Change, ChangeKind, Effect, Side
from derbes.register.model.diff.differ import Differ, T


def definitions(d: Differ) -> None:
    old_cats = {k: v for k, v in d.old.categories.items() if not v.base}
    new_cats = {k: v for k, v in d.new.categories.items() if not v.base}
    declared(d, "data_categories", old_cats, new_cats, lambda c: (
        c.labels, f"{c.sensitivity.value}, {c.value_type.value}", c.description))
    old_subj = {k: v for k, v in d.old.subject_categories.items() if not v.base}
    new_subj = {k: v for k, v in d.new.subject_categories.items() if not v.base}
    declared(d, "subject_categories", old_subj, new_subj, lambda s: (s.labels, "", None))
    declared(d, "tasks", dict(d.old.tasks), dict(d.new.tasks),
                  lambda t: (t.labels, "", None))


def declared(
    d: Differ,
    section: str,
    old: Mapping[str, T],
    new: Mapping[str, T],
    facts: Callable[[T], tuple[Labels, str, Labels | None]],
) -> None:
    new_index = {k: i for i, k in enumerate(new)}
    old_index = {k: i for i, k in enumerate(old)}
    for key in new:
        path = f"{section}[{new_index[key]}]"
        if key not in old:
            d.add(Change(
                ChangeKind.DEFINITION_ADDED, Effect.NEUTRAL, path, Side.NEW,
                f"{key} declared; it widens nothing until a purpose uses it", item=key,
            ))
            continue
        (old_labels, old_facts, old_desc), (new_labels, new_facts, new_desc) = (
            facts(old[key]), facts(new[key])
        )
        if old_facts != new_facts:
            d.add(Change(
                ChangeKind.DEFINITION_CHANGED, Effect.NEUTRAL, path, Side.NEW,
                f"definition of {key} changed (sensitivity, value type)", item=key,
                before=old_facts, after=new_facts,
            ))
        d.text(old_labels, new_labels, f"{path}.labels")
        d.text(old_desc, new_desc, f"{path}.description")
    for key in old:
        if key not in new:
            d.add(Change(
                ChangeKind.DEFINITION_REMOVED, Effect.NEUTRAL, f"{section}[{old_index[key]}]",
                Side.OLD, f"{key} no longer declared", item=key,
            ))

"""``derbes audit|ledger verify``, ``derbes audit|ledger anchor``, ``derbes ledger seal``.

Verification of either chain checks every link, the head the writer recorded,
an ``--expect``-ed head if given, and the latest anchor written outside the
database (``DERBES_ANCHOR_FILE``). ``derbes ledger verify`` also replays both
chains and compares every projection the decision point reads, and every
subject's state seal; each difference is printed with its subject, row and
field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from derbes.audit.cli import audit_app
from derbes.cli.common import Format, actor, bootstrap, console, notes
from derbes.consent.cli import ledger_app
from derbes.integrity.model.anchor import Chain, Latest
from derbes.platform.chain import Verification

if TYPE_CHECKING:
    from derbes.bootstrap import Container


_SHOWN = 50  # differences printed as text; JSON lists them all


_FORMAT = typer.Option(Format.TEXT, "--format", help="Output format.")
_EXPECT = typer.Option(None, "--expect", metavar="SEQ:HASH",
                       help="A head printed by an earlier run (or kept by an auditor).")


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield lambda stage, n: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                  TextColumn("{task.completed:,.0f}"), TimeElapsedColumn(),
                  console=notes, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def tell(stage: str, n: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"reading {stage}", total=None)
            progress.advance(tasks[stage], n)

        yield tell


def _anchor_json(found: Latest) -> dict[str, Any] | None:
    a = found.anchor
    return None if a is None else {"seq": a.seq, "hash": a.hash, "at": a.at.isoformat()}


def _verify_chain(container: Container, chain: Chain, expect: str | None
                  ) -> tuple[Verification, Latest]:
    from derbes.audit import service as audit
    from derbes.consent.service import consent as consent_service

    expected = audit.parse_head(expect) if expect else None
    found = container.latest_anchor(chain)
    if chain is Chain.AUDIT:
        result = audit.verify(container.uow(), container.audit_key, expected, found.anchor)
    else:
        result = consent_service.verify(container.uow(), container.ledger_key, expected,
                                        found.anchor)
    return result, found


def _candidates(container: Container, result: Verification) -> list[str]:
    """A broken audit log opens a candidate incident at each operator (unauthorised
    alteration of the log of actions with PD, Order 179/НҚ); the ids opened."""
    if result.ok:
        return []
    from derbes.incidents import service as incidents

    ctx = container.context(actor())
    first = result.breaks[0]
    failure = incidents.ChainFailure(first.seq, first.kind.value, ctx.now())
    return [i.id for i in incidents.chain_broken(ctx, failure)]


def _print_chain(label: str, result: Verification, found: Latest, file: str) -> None:
    head = f"{result.head_seq}:{result.head_hash}"
    if result.ok:
        console.print(f"{label} intact: {result.entries} entries; head {head}")
    else:
        console.print(f"{label} BROKEN: {len(result.breaks)} break(s) in "
                      f"{result.entries} entries")
        for b in result.breaks:
            console.print(f"  seq {b.seq}: {b.kind.value} — {b.message}", markup=False)
    anchor = found.anchor
    if anchor is None:
        console.print(f"  no anchor of this installation in {file} yet "
                      f"(`derbes {'audit' if 'audit' in label else 'ledger'} anchor`)",
                      markup=False)
    else:
        console.print(f"  latest anchor: entry {anchor.seq} at "
                      f"{anchor.at.isoformat(timespec='seconds')} ({file})")
    if found.forged:
        console.print(f"  {found.forged} anchor line(s) of this installation fail their "
                      "signature: the anchor file was edited")


def run_verify(chain: Chain, expect: str | None, output: Format) -> None:
    """``derbes audit verify`` / ``derbes ledger verify`` (the ledger also checks projections)."""
    container = bootstrap()
    result, found = _verify_chain(container, chain, expect)
    candidates = _candidates(container, result) if chain is Chain.AUDIT else []
    file = str(container.anchor_targets.file.path)
    projections = None
    if chain is Chain.LEDGER:
        from derbes.integrity.service.verify import verify_projections

        with _progress(output is Format.TEXT) as tell:
            projections = verify_projections(container.uow(), container.audit_key,
                                             progress=tell)
    ok = result.ok and not found.forged and (projections is None or projections.ok)
    if output is Format.JSON:
        data: dict[str, Any] = {
            "ok": ok, "entries": result.entries, "head_seq": result.head_seq,
            "head_hash": result.head_hash,
            "breaks": [{"seq": b.seq, "kind": b.kind.value, "message": b.message}
                       for b in result.breaks],
            "anchor": _anchor_json(found), "anchor_file": file,
            "forged_anchor_lines": found.forged, "candidate_incidents": candidates,
        }
        if projections is not None:
            data["projections"] = {
                "ok": projections.ok, "consents": projections.consents,
                "subjects": projections.subjects, "seals": projections.seals,
                "differences": [{"table": m.table, "subject_id": m.subject_id, "ref": m.ref,
                                 "field": m.field, "expected": m.expected, "found": m.found}
                                for m in projections.mismatches]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        label = "audit log" if chain is Chain.AUDIT else "consent ledger"
        _print_chain(label, result, found, file)
        if candidates:
            console.print(f"opened {len(candidates)} candidate incident(s) for the security "
                          "officer: derbes incident list --state candidate", markup=False)
        if projections is not None:
            checked = (f"{projections.consents} consents, {projections.subjects} subjects, "
                       f"{projections.seals} seals")
            if projections.ok:
                console.print(f"projections match both chains: {checked}")
            else:
                console.print(f"projections DIFFER from the chains: "
                              f"{len(projections.mismatches)} difference(s) in {checked}")
                for m in projections.mismatches[:_SHOWN]:
                    console.print(f"  {m.message}", markup=False)
                if len(projections.mismatches) > _SHOWN:
                    console.print(f"  … and {len(projections.mismatches) - _SHOWN} more "
                                  "(--format json lists them all)")
    if not ok:
        raise typer.Exit(1)


def run_anchor(chain: Chain) -> None:
    container = bootstrap()
    outcome = container.anchor(chain)
    a = outcome.anchor
    when = a.at.isoformat(timespec="seconds")
    if outcome.written:
        console.print(f"anchored the {chain.value} head: entry {a.seq} ({a.hash}) at {when} "
                      f"→ {', '.join(outcome.sinks)}")
    else:
        console.print(f"the {chain.value} head has not moved since its anchor of {when} "
                      f"(entry {a.seq}): nothing written")


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Sign the audit log's head and write it outside the database (file, syslog, URL)."""
    run_anchor(Chain.AUDIT)


@ledger_app.command("anchor")
def ledger_anchor() -> None:
    """Sign the consent ledger's head and write it outside the database (file, syslog, URL)."""
    run_anchor(Chain.LEDGER)


@ledger_app.command("seal")
def ledger_seal() -> None:
    """Seal every subject whose stored state matches both chains; list the others.

    Needed once for subjects stored before state seals existed, and after an
    operator has put a subject's rows right. Exit 1 when a subject was refused.
    """
    from derbes.integrity.service.verify import seal_subjects

    container = bootstrap()
    with _progress(True) as tell:
        done = seal_subjects(container.uow(), container.audit_key, progress=tell)
    console.print(f"sealed {done.sealed} subject(s)")
    if done.refused:
        console.print(f"{len(done.refused)} subject(s) NOT sealed: their rows differ from the "
                      "chains (`derbes ledger verify` says where)")
        for sid in done.refused[:_SHOWN]:
            console.print(f"  {sid}", markup=False)
        raise typer.Exit(1)

"""Build a :class:`~derbes.domain.register.Register` from parsed register data.

The loader (``adapters/register_yaml.py``) has already checked the structure
against the JSON Schema; this module checks what a schema cannot: unique ids,
references between sections, periods and dates that parse, a valid BIN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from derbes.domain.periods import Period
from derbes.domain.register import (
    CATEGORY_NOT_DECLARED,
    AchievedWhen,
    AfterRetention,
    BasisKind,
    ChannelKind,
    ConsentChannel,
    ConsentSetup,
    Contacts,
    Cookie,
    CookieCategory,
    CookieParty,
    CrossBorderBasis,
    CrossBorderBasisKind,
    DataCategory,
    Lang,
    LegalBasis,
    Licence,
    Minors,
    Operator,
    OperatorKind,
    Policy,
    PolicyChange,
    Purpose,
    Recipient,
    RecipientAction,
    RecipientRole,
    RegimeOverride,
    Register,
    RequestChannel,
    ResponsiblePerson,
    Retention,
    RetentionTrigger,
    Sensitivity,
    SeparateScope,
    SubjectCategory,
    Task,
    Text,
    ValueType,
    Waiver,
)
from derbes.errors import PeriodError, Problem, RegisterError


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str | None = None) -> None:
        self.problems.append(Problem(message=message, path=path, code=code))


def _text(raw: Mapping[str, Any] | None) -> Text | None:
    if raw is None:
        return None
    return Text(ru=str(raw["ru"]), kk=str(raw["kk"]), en=str(raw["en"]))


def _req_text(raw: Mapping[str, Any]) -> Text:
    text = _text(raw)
    assert text is not None
    return text


def _period(raw: Any, path: str, problems: _Collector) -> Period | None:
    try:
        return Period.parse(str(raw))
    except PeriodError as exc:
        problems.add(path, exc.message)
        return None


def _date(raw: Any, path: str, problems: _Collector) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        problems.add(path, f"not a date (YYYY-MM-DD): {raw!r}")
        return None


def _index_unique(
    items: Sequence[Mapping[str, Any]], path: str, problems: _Collector, key: str = "id"
) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        ident = str(item[key])
        if ident in seen:
            problems.add(
                f"{path}[{i}].{key}", f"duplicate {key} {ident!r} (first at {path}[{seen[ident]}])"
            )
        else:
            seen[ident] = i


def _basis(raw: Mapping[str, Any]) -> LegalBasis:
    return LegalBasis(
        kind=BasisKind(raw["kind"]), citation=raw.get("citation"), note=_text(raw.get("note"))
    )


def build(
    raw: Mapping[str, Any],
    base_categories: Iterable[DataCategory],
    base_subjects: Iterable[SubjectCategory],
    *,
    check_bin: Any = None,
) -> Register:
    """Build a :class:`Register` from structurally valid data; raise on semantic errors.

    ``check_bin`` is a callable raising ``IdentifierError`` for an invalid BIN
    (the identifiers module), injected so this module stays small.
    """
    problems = _Collector()

    op = raw["operator"]
    if check_bin is not None and op.get("bin") is not None:
        try:
            check_bin(str(op["bin"]))
        except Exception as exc:
            problems.add("operator.bin", f"invalid BIN: {getattr(exc, 'message', exc)}")
    licence_raw = op.get("licence")
    licence = None
    if licence_raw:
        issued_on = (
            _date(licence_raw["issued_on"], "operator.licence.issued_on", problems)
            if licence_raw.get("issued_on")
            else None
        )
        licence = Licence(licence_raw["number"], _req_text(licence_raw["issued_by"]), issued_on)
    contacts_raw = op.get("contacts", {})
    rp = op.get("responsible_person")
    operator = Operator(
        id=op["id"],
        names=_req_text(op["names"]),
        bin=None if op.get("bin") is None else str(op["bin"]),
        kind=OperatorKind(op["kind"]),
        legal_address=_req_text(op["legal_address"]),
        contacts=Contacts(
            email=contacts_raw.get("email"),
            phone=contacts_raw.get("phone"),
            postal_address=_text(contacts_raw.get("postal_address")),
            website=contacts_raw.get("website"),
        ),
        primary_database_country=str(op["primary_database_country"]).upper(),
        sites=tuple(op.get("sites", ())),
        apps=tuple(op.get("apps", ())),
        licence=licence,
        responsible_person=(
            ResponsiblePerson(
                role=_req_text(rp["role"]),
                name=rp.get("name"),
                email=rp.get("email"),
                phone=rp.get("phone"),
            )
            if rp
            else None
        ),
        copies_abroad=tuple(str(c).upper() for c in op.get("copies_abroad", ())),
    )

    pol = raw["policy"]
    change_raw = pol.get("change")
    policy = Policy(
        version=str(pol["version"]),
        date=_date(pol["date"], "policy.date", problems) or date.min,
        languages=tuple(Lang(x) for x in pol.get("languages", ("ru",))),
        source=pol.get("source"),
        change=(
            PolicyChange(
                method=_req_text(change_raw["method"]),
                silence_means_consent=bool(change_raw.get("silence_means_consent", False)),
                clause=change_raw.get("clause"),
            )
            if change_raw
            else None
        ),
    )

    # Categories: the shipped taxonomy, then the operator's own (which may not
    # redefine a base id).
    categories: dict[str, DataCategory] = {c.id: c for c in base_categories}
    custom_raw = raw.get("data_categories", [])
    _index_unique(custom_raw, "data_categories", problems)
    custom_ids: set[str] = set()
    for i, c in enumerate(custom_raw):
        if c["id"] in categories and categories[c["id"]].base:
            problems.add(
                f"data_categories[{i}].id",
                f"category {c['id']!r} is in the base taxonomy already; choose another id",
            )
            continue
        categories[c["id"]] = DataCategory(
            id=c["id"],
            labels=_req_text(c["labels"]),
            sensitivity=Sensitivity(c["sensitivity"]),
            value_type=ValueType(c.get("value_type", "text")),
            description=_text(c.get("description")),
        )
        custom_ids.add(c["id"])

    subjects: dict[str, SubjectCategory] = {s.id: s for s in base_subjects}
    subj_raw = raw.get("subject_categories", [])
    _index_unique(subj_raw, "subject_categories", problems)
    for i, s in enumerate(subj_raw):
        if s["id"] in subjects:
            problems.add(
                f"subject_categories[{i}].id", f"subject category {s['id']!r} exists already"
            )
            continue
        subjects[s["id"]] = SubjectCategory(id=s["id"], labels=_req_text(s["labels"]))

    tasks_raw = raw.get("tasks", [])
    _index_unique(tasks_raw, "tasks", problems)
    tasks = {t["id"]: Task(id=t["id"], labels=_req_text(t["labels"])) for t in tasks_raw}

    recipients_raw = raw.get("recipients", [])
    _index_unique(recipients_raw, "recipients", problems)
    recipients: dict[str, Recipient] = {}
    for i, r in enumerate(recipients_raw):
        path = f"recipients[{i}]"
        for j, cat in enumerate(r.get("categories", ())):
            if cat not in categories:
                problems.add(
                    f"{path}.categories[{j}]",
                    f"unknown data category {cat!r}",
                    code=CATEGORY_NOT_DECLARED,
                )
        cbb = r.get("cross_border_basis")
        recipients[r["id"]] = Recipient(
            id=r["id"],
            names=_req_text(r["names"]),
            role=RecipientRole(r["role"]),
            country=str(r["country"]).upper(),
            actions=tuple(RecipientAction(a) for a in r.get("actions", ("use",))),
            basis=_basis(r["basis"]),
            categories=tuple(r.get("categories", ())),
            cross_border_basis=(
                CrossBorderBasis(CrossBorderBasisKind(cbb["kind"]), cbb.get("citation"))
                if cbb
                else None
            ),
            description=_text(r.get("description")),
            clause=r.get("clause"),
        )

    purposes_raw = raw.get("purposes", [])
    _index_unique(purposes_raw, "purposes", problems)
    purposes: dict[str, Purpose] = {}
    for i, p in enumerate(purposes_raw):
        path = f"purposes[{i}]"
        if p["task"] not in tasks:
            problems.add(f"{path}.task", f"unknown task {p['task']!r}")
        for j, cat in enumerate(p["categories"]):
            if cat not in categories:
                problems.add(
                    f"{path}.categories[{j}]",
                    f"unknown data category {cat!r}",
                    code=CATEGORY_NOT_DECLARED,
                )
        for j, subj in enumerate(p.get("subjects", ())):
            if subj not in subjects:
                problems.add(f"{path}.subjects[{j}]", f"unknown subject category {subj!r}")
        for j, rec in enumerate(p.get("recipients", ())):
            if rec not in recipients:
                problems.add(f"{path}.recipients[{j}]", f"unknown recipient {rec!r}")
        retention = None
        ret_raw = p.get("retention")
        if ret_raw is not None:
            period = _period(ret_raw["period"], f"{path}.retention.period", problems)
            if period is not None:
                retention = Retention(
                    trigger=RetentionTrigger(ret_raw["trigger"]),
                    period=period,
                    citation=str(ret_raw.get("citation", "")),
                    then=AfterRetention(ret_raw.get("then", "destroy")),
                    note=_text(ret_raw.get("note")),
                    achieved_when=(AchievedWhen(ret_raw["achieved_when"])
                                   if ret_raw.get("achieved_when") else None),
                )
                if (retention.achieved_when is not None
                        and retention.trigger is not RetentionTrigger.PURPOSE_ACHIEVED):
                    problems.add(f"{path}.retention.achieved_when",
                                 "achieved_when is given only with trigger purpose_achieved")
        basis = _basis(p["basis"])
        purposes[p["id"]] = Purpose(
            id=p["id"],
            task=p["task"],
            labels=_req_text(p["labels"]),
            categories=tuple(p["categories"]),
            subjects=tuple(p.get("subjects", ())),
            basis=basis,
            consent_required=bool(p.get("consent_required", basis.kind is BasisKind.CONSENT)),
            retention=retention,
            recipients=tuple(p.get("recipients", ())),
            automated_decision=bool(p.get("automated_decision", False)),
            exhaustive=bool(p.get("exhaustive", True)),
            description=_text(p.get("description")),
            clause=p.get("clause"),
            sources=tuple(p.get("sources", ("subject",))),
            methods=tuple(p.get("methods", ("automated",))),
            consent_bundled_with=tuple(p.get("consent_bundled_with", ())),
        )

    cookies: list[Cookie] = []
    cookies_raw = raw.get("cookies", [])
    _index_unique(cookies_raw, "cookies", problems, key="name")
    for i, c in enumerate(cookies_raw):
        lifetime = _period(c["lifetime"], f"cookies[{i}].lifetime", problems)
        if lifetime is None:
            continue
        cookies.append(
            Cookie(
                name=c["name"],
                category=CookieCategory(c["category"]),
                party=CookieParty(c["party"]),
                lifetime=lifetime,
                purpose=_req_text(c["purpose"]),
                provider=c.get("provider"),
            )
        )

    channels = tuple(
        RequestChannel(ChannelKind(c["kind"]), str(c["address"]), _text(c.get("note")))
        for c in raw.get("request_channels", [])
    )

    consent_raw = raw.get("consent", {})
    consent = ConsentSetup(
        channels=tuple(ConsentChannel(c) for c in consent_raw.get("channels", ())),
        separate_scopes=tuple(SeparateScope(s) for s in consent_raw.get("separate_scopes", ())),
        withdrawal=_text(consent_raw.get("withdrawal")),
        withdrawal_clause=consent_raw.get("withdrawal_clause"),
    )

    minors_raw = raw.get("minors", {"processed": False})
    minors = Minors(
        processed=bool(minors_raw["processed"]),
        representative_consent=bool(minors_raw.get("representative_consent", True)),
        clause=minors_raw.get("clause"),
    )

    overrides: list[RegimeOverride] = []
    for i, o in enumerate(raw.get("regime_overrides", [])):
        term = _period(o["term"], f"regime_overrides[{i}].term", problems)
        if term is not None:
            overrides.append(RegimeOverride(o["deadline"], term, str(o["citation"])))

    waivers = tuple(
        Waiver(code=w["code"], path=w["path"], clause=w["clause"], reason=w["reason"])
        for w in raw.get("waivers", [])
    )

    limits = raw.get("limits", {})
    cookie_max = _period(
        limits.get("cookie_max_lifetime", "1 year"), "limits.cookie_max_lifetime", problems
    )

    for i, p in enumerate(purposes_raw):
        for j, other in enumerate(p.get("consent_bundled_with", ())):
            if other not in purposes:
                problems.add(
                    f"purposes[{i}].consent_bundled_with[{j}]", f"unknown purpose {other!r}"
                )

    if problems.problems:
        raise RegisterError(problems.problems)

    return Register(
        operator=operator,
        policy=policy,
        categories=categories,
        subject_categories=subjects,
        tasks=tasks,
        purposes=purposes,
        recipients=recipients,
        cookies=tuple(cookies),
        request_channels=channels,
        consent=consent,
        minors=minors,
        regime_overrides=tuple(overrides),
        waivers=waivers,
        cookie_max_lifetime=cookie_max or Period.parse("1 year"),
        declared_custom_categories=frozenset(custom_ids),
    )

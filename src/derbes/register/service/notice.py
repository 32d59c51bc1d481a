"""Use cases for the published privacy notice, generated from the register.

The notice is never written by hand: it is rendered from the register in force,
so the published policy and the processing that derbes runs cannot drift apart.
The reader of register files and the renderer are the register slice's ports
(``register/ports.py``), chosen by the entry points.
"""

from __future__ import annotations

from pathlib import Path

from derbes.deadlines.model.regime import Regime
from derbes.errors import NotFoundError, RegisterError
from derbes.platform.i18n import Lang, as_lang
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.notice_format import NoticeFormat, as_format
from derbes.register.ports import NoticeRenderer, RegisterReader

__all__ = ["find_register", "notice_for"]


def notice_for(
    loaded: LoadedRegister,
    lang: Lang | str,
    fmt: NoticeFormat | str,
    *,
    regime: Regime,
    renderer: NoticeRenderer,
    draft: bool = False,
) -> bytes:
    """The notice of a loaded register in ``lang`` and ``fmt``.

    ``regime`` is the regime table in force (``Rules.regime``: the shipped one or
    ``DERBES_REGIME_FILE``); the register's stricter deadlines are applied on top
    of it. A register with unwaived lint errors is refused unless ``draft``
    (watermarked).
    """
    language, form = as_lang(lang), as_format(fmt)
    return renderer.render(loaded, language, form, regime=regime, draft=draft)


def find_register(registers_dir: Path, operator_id: str, reader: RegisterReader) -> LoadedRegister:
    """The register in ``registers_dir`` whose ``operator.id`` is ``operator_id``.

    A file that does not load cannot be the one asked for, so it is skipped
    here; ``derbes register validate`` is where its problems are reported.
    """
    unreadable = 0
    for path in reader.files(registers_dir):
        try:
            loaded = reader.load(path)
        except RegisterError:
            unreadable += 1
            continue
        if loaded.register.operator.id == operator_id:
            return loaded
    skipped = f" ({unreadable} invalid register file(s) skipped)" if unreadable else ""
    raise NotFoundError(f"no register for operator {operator_id!r}{skipped}", field="operator")

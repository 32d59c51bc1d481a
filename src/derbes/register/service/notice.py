"""Use cases for the published privacy notice, generated from the register.

The notice is never written by hand: it is rendered from the register in force,
so the published policy and the processing that derbes runs cannot drift apart.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from derbes.deadlines.model.regime import Regime
from derbes.errors import NotFoundError, RegisterError
from derbes.platform.i18n import Lang, as_lang
from derbes.register.adapters.notice import NoticeFormat, render_notice
from derbes.register.adapters.notice.render import as_format
from derbes.register.adapters.yaml import LoadedRegister, load_register, register_files

__all__ = ["find_register", "notice_for", "notice_for_operator", "policy_hash"]


def notice_for(
    register: str | Path | LoadedRegister,
    lang: Lang | str,
    fmt: NoticeFormat | str,
    *,
    regime: Regime,
    draft: bool = False,
) -> bytes:
    """The notice of a register (a file or an already loaded one) in ``lang`` and ``fmt``.

    ``regime`` is the regime table in force (``Rules.regime``: the shipped one or
    ``DERBES_REGIME_FILE``); the register's stricter deadlines are applied on top
    of it. A register with unwaived lint errors is refused unless ``draft``
    (watermarked).
    """
    language, form = as_lang(lang), as_format(fmt)
    loaded = register if isinstance(register, LoadedRegister) else load_register(register)
    return render_notice(loaded, language, form, regime=regime, draft=draft)


def find_register(registers_dir: Path, operator_id: str) -> LoadedRegister:
    """The register in ``registers_dir`` whose ``operator.id`` is ``operator_id``.

    A file that does not load cannot be the one asked for, so it is skipped
    here; ``derbes register validate`` is where its problems are reported.
    """
    unreadable = 0
    for path in register_files(registers_dir):
        try:
            loaded = load_register(path)
        except RegisterError:
            unreadable += 1
            continue
        if loaded.register.operator.id == operator_id:
            return loaded
    skipped = f" ({unreadable} invalid register file(s) skipped)" if unreadable else ""
    raise NotFoundError(f"no register for operator {operator_id!r}{skipped}", field="operator")


def notice_for_operator(
    registers_dir: Path,
    operator_id: str,
    lang: Lang | str,
    fmt: NoticeFormat | str,
    *,
    regime: Regime,
    draft: bool = False,
) -> bytes:
    """The notice of the operator whose register is in ``registers_dir``."""
    language, form = as_lang(lang), as_format(fmt)
    loaded = find_register(registers_dir, operator_id)
    return notice_for(loaded, language, form, regime=regime, draft=draft)


# Policy hashes by register text: rendering a notice costs far more than the consent
# that records its hash. Bounded like the registers in force (register/service/in_force).
_HASHES: OrderedDict[str, str] = OrderedDict()
_HASHES_LOCK = threading.Lock()
_MAX_HASHES = 64


def policy_hash(loaded: LoadedRegister) -> str:
    """SHA-256 of the generated notice (ru, HTML) of this register: the policy text a
    consent records and a new version is compared with.

    Rendered on the shipped regime table, so the hash names the register's text
    alone: a consent given and a version published later compare equal whatever
    regime file each process was started with.
    """
    with _HASHES_LOCK:
        found = _HASHES.get(loaded.sha256)
        if found is not None:
            _HASHES.move_to_end(loaded.sha256)
            return found
    from derbes.deadlines.adapters.regime_yaml import load_regime

    found = hashlib.sha256(notice_for(loaded, Lang.RU, NoticeFormat.HTML,
                                      regime=load_regime())).hexdigest()
    with _HASHES_LOCK:
        _HASHES[loaded.sha256] = found
        while len(_HASHES) > _MAX_HASHES:
            _HASHES.popitem(last=False)
    return found

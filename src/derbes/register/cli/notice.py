"""``derbes notice``: the published privacy notice, generated from a register."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from derbes.cli.app import app
from derbes.cli.common import bootstrap
from derbes.errors import InputError
from derbes.platform.files import write_private
from derbes.platform.labels import Lang
from derbes.register.model.notice_format import NoticeFormat


@app.command("notice")
def notice(
    register: Path = typer.Argument(..., help="The operator's register YAML file."),
    lang: Lang = typer.Option(Lang.RU, "--lang", "-l", help="Language of the notice."),
    fmt: NoticeFormat = typer.Option(
        NoticeFormat.HTML, "--format", "-f", help="html, pdf (A4) or md."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write; md and html go to stdout without it."
    ),
    draft: bool = typer.Option(
        False, "--draft",
        help="Render even with unwaived lint errors, marking every page as a draft.",
    ),
) -> None:
    """Generate the privacy notice (ru, kk, en; HTML, PDF or Markdown) from a register.

    A register with unwaived lint errors is refused (exit 1) unless --draft.
    """
    from derbes.register.service.notice import notice_for
    if fmt is NoticeFormat.PDF and output is None:
        raise InputError("a PDF notice needs a file: add -o FILE", field="output")
    container = bootstrap()
    document = notice_for(container.register_reader.load(register), lang.value, fmt.value,
                          regime=container.rules.regime, renderer=container.notices,
                          draft=draft)
    if output is None:
        sys.stdout.buffer.write(document)
        sys.stdout.buffer.flush()
        return
    try:
        write_private(output, document)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}", field="output") from exc
    typer.echo(f"wrote {output} ({fmt.value}, {lang.value}, {len(document)} bytes)", err=True)

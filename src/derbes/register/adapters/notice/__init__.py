"""The published privacy notice, generated from the processing register."""

from __future__ import annotations

from derbes.register.adapters.notice.render import MEDIA_TYPES, RENDERER, render_notice
from derbes.register.model.notice_format import FORMATS, NoticeFormat

__all__ = ["FORMATS", "MEDIA_TYPES", "RENDERER", "NoticeFormat", "render_notice"]

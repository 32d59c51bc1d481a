"""The published privacy notice, generated from the processing register."""

from __future__ import annotations

from derbes.register.adapters.notice.render import FORMATS, MEDIA_TYPES, NoticeFormat, render_notice

__all__ = ["FORMATS", "MEDIA_TYPES", "NoticeFormat", "render_notice"]

"""The consent evidence certificate (HTML, PDF) in ru, kk and en."""

from derbes.consent.adapters.evidence.render import render_certificate

__all__ = ["render_certificate"]

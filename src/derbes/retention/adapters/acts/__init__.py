"""Destruction acts: rendering (JSON, HTML, PDF in ru/kk/en) and the rules file."""

from derbes.retention.adapters.acts.render import FORMATS, act_json, render_act
from derbes.retention.adapters.acts.rules import load_act_rules

__all__ = ["FORMATS", "act_json", "load_act_rules", "render_act"]

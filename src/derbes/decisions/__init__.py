"""The decision point: may this action be done with this subject's PD, and why."""

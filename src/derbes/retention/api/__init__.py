"""``/v1/retention`` and ``/v1/acts`` over HTTP."""

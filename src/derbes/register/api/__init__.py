"""``/v1/registers`` and ``/notice/{operator}`` over HTTP."""

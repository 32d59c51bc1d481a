"""The DPO's console at ``/console``: server-rendered pages in Russian, Kazakh and English."""

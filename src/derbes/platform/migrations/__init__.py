"""Alembic migrations of the derbes schema, shipped inside the package.

Run them with ``derbes db upgrade`` (or ``derbes.installation.service.database.upgrade``);
no ``alembic.ini`` is needed: ``derbes.platform.migrate`` builds the config.
"""

"""Delivery: SMS and e-mail messages to subjects and staff, their records, retries.

``model`` (templates, SMS length, back-off, masking), ``ports`` (``SmsGateway``,
``Mailer``, the repository), ``service`` (send, attempt, retry, list),
``adapters`` (Mobizon.kz, SMTP, the development console, the SQL store), ``cli``.
"""

"""Data-subject requests (Law 94-V Art. 24): intake, verification, answers within the
statutory terms, execution across the vault and the operator's databases, letters."""

"""The QA sandbox around the data: sessions and their bounds, injected faults, ``Prefer``
overrides, the request journal, the default session's persistence, and what each admin
endpoint does."""

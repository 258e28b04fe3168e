"""Checking requests and responses against a contract: the ``Validator`` seam, the request
body read safely, openapi-core as the reference, and the compiled fast path with its
format rules."""

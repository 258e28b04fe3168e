"""The request pipelines: a request for a known operation in, a response out, with the
session, faults, authentication, rights, validation and the operation in a fixed order.
``api`` serves the contract's operations, ``admin`` the mock's own ``/__mock/`` ones."""

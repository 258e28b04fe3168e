"""A stateful, OpenAPI-driven mock of the PF Expert CRM call tracking API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mockserver")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

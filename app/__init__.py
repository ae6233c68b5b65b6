"""Lamplight: chat with large language models that run on your own machine."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lamplight")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

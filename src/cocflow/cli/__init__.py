"""The command line: parse arguments, call a service, format the result."""

from cocflow.cli.app import app, main

__all__ = ["app", "main"]

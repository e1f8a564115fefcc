"""The ``toolweave`` command line: ``main`` (run, chat, serve, models, trace, tools) and its
sub-commands, one module each: ``bfcl`` (``eval bfcl``), ``suite`` (``eval suite``), ``tools``
(``tools index|search|augment``), ``distill``. Entry points only: each parses its options and
calls the library."""

from toolweave.cli.main import app, main

__all__ = ["app", "main"]

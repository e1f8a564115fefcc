"""The ``toolweave`` command line: ``commands`` (run, chat, serve, models, trace, tools) and its
sub-commands, one module each: ``bfcl`` (``eval bfcl``), ``suite`` (``eval suite``), ``tools``
(``tools index|search|augment``), ``distill``. Entry points only: each parses its options and
calls the library."""

from toolweave.cli.commands import app, main

__all__ = ["app", "main"]

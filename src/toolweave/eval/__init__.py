"""Benchmarks run against toolweave's models and tool formats (BFCL so far).

Heavy or optional libraries (bfcl-eval, matplotlib) load on first use, so importing this package
stays cheap.
"""

"""The official BFCL AST checker, imported without its vendor-SDK import chain.

``bfcl_eval.eval_checker.ast_eval.ast_checker`` does ``from bfcl_eval.constants.model_config
import MODEL_CONFIG_MAPPING``. That module builds the registry of every model BFCL knows and so
imports every vendor SDK (openai, anthropic, google-genai, mistral, cohere, boto3, ...): dozens
of packages we neither need nor want, only so that the checker can read one flag,
``MODEL_CONFIG_MAPPING[model].underscore_to_dot``, in ``convert_func_name``.

That flag says whether the *model output* names functions with dots replaced by underscores
(models whose APIs reject ``.`` in names). toolweave sanitizes names for the model too
(``math.factorial`` → ``math_factorial``, see `data`), but maps them back to BFCL's
original names before scoring. So our outputs carry the original dotted names and the checker
must NOT convert the expected name: ``underscore_to_dot=False``, exactly what the real config
says for models that keep dots (e.g. BFCL's prompt-based and Hermes-style local models).

We therefore put a stand-in module into ``sys.modules`` just for the import of the checker, with
one registry entry, `MODEL_NAME`, and remove it again afterwards (the checker keeps its own
reference), so a later import of the real ``model_config`` is unaffected. If the real module is
already imported, we only add our entry to its registry. Scoring itself is never re-implemented:
`check_ast` calls their ``ast_checker``.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any

MODEL_NAME = "toolweave"  # the model_name we pass; no "_" (the checker maps "_" to "/")

_MODULE = "bfcl_eval.constants.model_config"


@dataclass(frozen=True)
class _ModelConfig:
    """The one field of BFCL's ``ModelConfig`` that the AST checker reads."""

    underscore_to_dot: bool = False


def _import_checker():
    entry = _ModelConfig(underscore_to_dot=False)
    real = sys.modules.get(_MODULE)
    if real is not None:  # someone imported the real registry: just register ourselves there
        real.MODEL_CONFIG_MAPPING.setdefault(MODEL_NAME, entry)
        from bfcl_eval.eval_checker.ast_eval import ast_checker
        return ast_checker
    stand_in = types.ModuleType(_MODULE, doc="toolweave stand-in, see toolweave.eval.bfcl.checker")
    stand_in.MODEL_CONFIG_MAPPING = {MODEL_NAME: entry}
    sys.modules[_MODULE] = stand_in
    try:
        from bfcl_eval.eval_checker.ast_eval import ast_checker
    finally:
        if sys.modules.get(_MODULE) is stand_in:
            del sys.modules[_MODULE]
    return ast_checker


_ast = _import_checker()
from bfcl_eval.constants.enums import Language


def check_ast(functions: list[dict[str, Any]], model_output: list[dict[str, Any]],
              possible_answer: list[dict[str, Any]], category: str) -> dict[str, Any]:
    """BFCL's verdict on one AST task: ``{"valid": bool, "error": [...], "error_type": ...}``.

    ``functions`` are the task's original BFCL function docs, ``model_output`` the calls as
    ``[{name: {arg: value}}]`` with original (dotted) names, ``category`` e.g. ``live_multiple``
    (the checker dispatches on "parallel" / "multiple" in it).
    """
    return _ast.ast_checker(functions, model_output, possible_answer, Language.PYTHON,
                            category, MODEL_NAME)


def check_relevance(model_output: list[dict[str, Any]], category: str) -> dict[str, Any]:
    """BFCL's (ir)relevance rule (``eval_runner._evaluate_single_relevance_entry``).

    An output "contains a function call" when it decodes to calls and is not empty (BFCL's
    ``utils.is_empty_output``: ``[]`` or ``[{}]``). Irrelevance tasks pass iff it does not,
    relevance tasks iff it does. Our outputs are always in function-calling format, so only the
    emptiness test applies. (Importing ``bfcl_eval.utils`` for that one-liner would create
    ``result/``, ``score/`` and ``.file_locks/`` folders in site-packages at import time.)
    """
    empty = not model_output or (len(model_output) == 1 and not model_output[0])
    contains_call = not empty
    valid = not contains_call if "irrelevance" in category else contains_call
    if valid:
        return {"valid": True, "error": []}
    if "irrelevance" in category:
        return {"valid": False, "error": ["Valid syntax. Successfully decode AST when it should not."],
                "error_type": "irrelevance_error:decoder_success"}
    return {"valid": False, "error": ["Invalid syntax. Failed to decode AST when it should have."],
            "error_type": "relevance_error:decoder_failed"}

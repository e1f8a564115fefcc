"""toolweave: a local-first agent runtime — a small language model, a loop, and tools.

Importing this package is cheap: heavy libraries (llama_cpp, matplotlib, ray, torch) load on
first use only.
"""

from toolweave.types import (
    Completion,
    Constraint,
    Delta,
    Message,
    Step,
    ToolCall,
    ToolSpec,
    Trace,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "Completion", "Constraint", "Delta", "Message", "Step", "ToolCall", "ToolSpec", "Trace",
    "Usage", "__version__",
]

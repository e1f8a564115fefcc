"""Chat model backends behind one protocol: in-process llama.cpp, OpenAI-compatible servers,
and a scripted model for loop tests. Backends import their heavy libraries lazily."""

from toolweave.models.base import ChatModel, StreamingModel
from toolweave.models.scripted import Scripted
from toolweave.models.spec import load_model

__all__ = ["ChatModel", "Scripted", "StreamingModel", "load_model"]

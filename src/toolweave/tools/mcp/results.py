"""Turning an MCP ``CallToolResult`` into the text a model reads.

Text stays text; images, audio and binary resources become one-line placeholders (a small model
cannot use base64, and it would flood the context); structured content is used only when the
server sent no content blocks, since servers that return both repeat the same data as text.
"""

from __future__ import annotations

import json
from typing import Any


def result_text(result: Any) -> str:
    """The content blocks of a ``CallToolResult`` joined into one string."""
    parts = [_block_text(block) for block in result.content or ()]
    if not parts and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"),
                          default=str)
    return "\n".join(parts)


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return f"[{kind}: {block.mime_type}, {_decoded_size(block.data):,} bytes]"
    if kind == "resource_link":
        return f"[resource link: {block.name} <{block.uri}>]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if text is not None:
            return text
        mime = f", {resource.mime_type}" if getattr(resource, "mime_type", None) else ""
        return f"[resource: {resource.uri}{mime}, {_decoded_size(resource.blob):,} bytes]"
    return f"[{kind or type(block).__name__} content]"


def _decoded_size(data: str) -> int:
    # The size of base64 data without decoding it: 3 bytes per 4 characters, less padding.
    return len(data) * 3 // 4 - data[-2:].count("=")

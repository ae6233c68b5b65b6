"""A reasoning model for the tests: a copy of the built-in SmolLM2 whose chat template is
rewritten (with llama.cpp's own `gguf` package) to open `<think>` at the start of each answer,
as DeepSeek-R1's and Qwen3's do, with Qwen3's `enable_thinking` switch: off, the template
writes an empty thinking block itself and the model answers at once.

The weights are SmolLM2's: the 135M model never learned to think, so what it writes after the
opened tag is its usual text, which the app must then treat as thinking."""

from __future__ import annotations

from pathlib import Path

THINKING_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}"
    "<think>\n\n</think>\n\n"
    "{% else %}"
    "<think>\n"
    "{% endif %}"
    "{% endif %}"
)


def with_template(source: Path, target: Path, template: str = THINKING_TEMPLATE) -> Path:
    """A copy of the GGUF `source` at `target` with `template` as its chat template."""
    import gguf
    from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

    reader = gguf.GGUFReader(source, "r")
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE)
    assert arch is not None
    writer = gguf.GGUFWriter(target, arch=arch.contents(), endianess=reader.endianess)
    copy_with_new_metadata(reader, writer, {
        gguf.Keys.Tokenizer.CHAT_TEMPLATE: MetadataDetails(gguf.GGUFValueType.STRING, template),
    }, [])
    return target

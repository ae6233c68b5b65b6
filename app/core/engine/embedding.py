"""Which GGUF models make embeddings rather than chat: llama.cpp loads those with
`embedding=True`, and the HTTP API's `/v1/embeddings` takes only them."""

from __future__ import annotations

from app.core.engine.gguf import GGUFHeader

# Encoder architectures: they read text into vectors and cannot write any.
ENCODER_ARCHITECTURES = frozenset({
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert",
    "neo-bert", "t5encoder",
})


def is_embedding_model(header: GGUFHeader) -> bool:
    """An encoder, or a model whose file declares how to pool its tokens into one vector
    (`<arch>.pooling_type` other than 0, none): Qwen3-Embedding, gte-Qwen, e5-mistral."""
    if header.architecture in ENCODER_ARCHITECTURES:
        return True
    pooling = header.metadata.get(f"{header.architecture}.pooling_type")
    return isinstance(pooling, int) and not isinstance(pooling, bool) and pooling > 0

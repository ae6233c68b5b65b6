"""Models on disk: the built-in one, the models folder, GGUF headers."""

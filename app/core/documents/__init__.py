"""Documents: readers for each format, the language a text is in, and summaries of texts
longer than the context."""

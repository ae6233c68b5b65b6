"""The Models page and its lists: installed models, the catalog, a hub search."""

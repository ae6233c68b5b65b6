"""Chats: the conversation tree, its store, transfer, titles, presets, the context policy,
turns, and the chat service every front-end goes through."""

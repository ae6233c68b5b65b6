"""The local server: the user's models as an OpenAI-compatible HTTP API, a third front-end over
the chat service (`app.core.chat.api`), beside the window and the terminal.

`app.py` maps OpenAI's endpoints onto the service, `schema.py` checks requests, `errors.py`
answers in OpenAI's error JSON, `guard.py` keeps it safe (loopback, key, Host, body size),
`run.py` runs uvicorn on a thread of its own.
"""

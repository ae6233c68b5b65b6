from __future__ import annotations

from app.core.conversation import Conversation, Message
from app.core.engine import ChatMessage


def test_the_model_sees_finished_turns_after_the_system_prompt() -> None:
    conversation = Conversation(system_prompt="Be brief.", messages=[
        Message("user", "Hi"),
        Message("assistant", "Hello!"),
        Message("user", "Again"),
        Message("assistant", "", error="the model failed"),  # failed before its first token
        Message("user", "Once more"),
        Message("assistant", "Work in", streaming=True),  # the answer being written
    ])
    assert conversation.chat_messages() == [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"),
        ChatMessage("user", "Again"),
        ChatMessage("user", "Once more"),
    ]


def test_a_blank_system_prompt_is_left_out() -> None:
    conversation = Conversation(system_prompt="  ", messages=[Message("user", "Hi")])
    assert conversation.chat_messages() == [ChatMessage("user", "Hi")]

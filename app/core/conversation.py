"""A conversation as the user sees it: messages in order, plus the system prompt."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.engine.base import ChatMessage, GenerationStats, Role


@dataclass
class Message:
    """One message. An assistant message is `streaming` until its answer is complete."""

    role: Role
    content: str
    streaming: bool = False
    stats: GenerationStats | None = None
    model_name: str | None = None
    error: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.stats is not None and self.stats.finish_reason == "cancelled"


@dataclass
class Conversation:
    messages: list[Message] = field(default_factory=list)
    system_prompt: str = ""

    def chat_messages(self) -> list[ChatMessage]:
        """What the model is sent: the system prompt, then every finished, non-empty turn.

        An answer that failed or was stopped before its first token is left out, so the roles
        still alternate for templates that insist on it.
        """
        turns = [ChatMessage("system", self.system_prompt)] if self.system_prompt.strip() else []
        turns += [
            ChatMessage(m.role, m.content)
            for m in self.messages
            if not m.streaming and (m.role != "assistant" or m.content)
        ]
        return turns

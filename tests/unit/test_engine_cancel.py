"""The cancel token: a step's token sees its job's cancel."""

from __future__ import annotations

from app.core.engine.cancel import CancelToken


def test_a_steps_token_is_cancelled_with_its_job_also_when_it_waits() -> None:
    job = CancelToken()
    step = CancelToken(job)
    assert not step.cancelled and not step.wait(0)
    job.cancel()
    assert step.cancelled
    assert step.wait(0.01)  # it was False: a wait on a step never saw the job's Stop

"""`DagScheduler`: runs plan tasks the moment their own dependencies have finished.

Tasks are submitted one at a time (as the planner's stream yields them); each becomes an
asyncio task that awaits its dependencies' futures, substitutes their results into its
arguments and runs through the tool registry (so per-tool timeouts and output caps apply).
There is no level-by-level barrier and no polling. A failed task does not stop independent
branches; its dependents are skipped with an observation saying why.

With the run's `RepeatGuard`, a call that already succeeded (earlier in the plan, or in an
earlier plan of the run) is not run again: the task takes the earlier result, and it is left
out of `wait`'s results, so the joiner reads each result once.

Every task passes the run's `ToolPolicy` before it runs: a plan's tasks past the per-turn cap,
and calls the allow-list or the confirmation hook refuse, are not run (their dependents are
skipped like any failed task's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from toolweave.agents.dag.plan import Task, substitute
from toolweave.runtime.policy import ToolPolicy
from toolweave.runtime.recorder import TraceRecorder
from toolweave.runtime.repeats import RepeatGuard, signature
from toolweave.tools.registry import ToolRegistry
from toolweave.types import Observation, ToolCall, new_id

SKIPPED = "skipped"


class DagScheduler:
    """Streaming executor of one plan's tasks."""

    def __init__(self, tools: ToolRegistry, recorder: TraceRecorder | None = None,
                 guard: RepeatGuard | None = None,
                 invoke: Callable[[ToolCall], Awaitable[Observation]] | None = None,
                 policy: ToolPolicy | None = None):
        """``invoke`` runs one call (by default ``tools.invoke``; a run's `RunContext.invoke`
        records it as it starts, and answers it from the trace in a resumed run); ``policy``
        is the run's `ToolPolicy`, which every task passes first."""
        self.tools = tools
        self.invoke = invoke or tools.invoke
        self.policy = policy
        self.recorder = recorder
        self.guard = guard
        self.reused: set[int] = set()  # tasks answered by an earlier identical call
        self._pending: dict[str, asyncio.Future[Observation]] = {}  # running calls by signature
        self.calls: dict[int, ToolCall] = {}
        self.observations: dict[int, Observation] = {}
        self._done: dict[int, asyncio.Future[Observation]] = {}
        self._running: list[asyncio.Task[None]] = []

    def submit(self, task: Task) -> None:
        """Start ``task`` now; it waits for its dependencies, which must already be submitted
        (the planner's validation guarantees references point to earlier tasks)."""
        missing = [d for d in task.deps if d not in self._done]
        if missing:
            raise ValueError(f"task {task.id} depends on unsubmitted tasks {missing}")
        self._done[task.id] = asyncio.get_running_loop().create_future()
        position = len(self.calls)  # the task's place in the plan, for the per-turn cap
        self.calls[task.id] = ToolCall(id=new_id(), name=task.tool, arguments=task.args)
        self._running.append(asyncio.create_task(self._run(task, position),
                                                 name=f"dag-task-{task.id}"))

    async def wait(self) -> list[tuple[ToolCall, Observation]]:
        """Wait for every submitted task; (call, observation) pairs in task-id order, the call
        holding the arguments that actually ran (references substituted)."""
        if self._running:
            await asyncio.gather(*self._running)
        return [(self.calls[i], self.observations[i]) for i in sorted(self.observations)
                if i not in self.reused]

    async def cancel(self) -> None:
        """Stop every unfinished task (a budget stop or an invalid plan)."""
        for running in self._running:
            running.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _run(self, task: Task, position: int) -> None:
        call = self.calls[task.id]
        capped = self.policy.over_cap(call, position) if self.policy is not None else None
        deps = {d: await self._done[d] for d in task.deps}
        failed = [d for d, obs in deps.items() if not obs.ok]
        if capped is not None:
            observation = capped
        elif failed:
            observation = _skipped(call, task, failed)
        else:
            results = {d: obs.content for d, obs in deps.items()}
            call.arguments = substitute(task.args, results)
            observation = await self._invoke_once(task, call)
        self.observations[task.id] = observation
        self._event("task_end", id=task.id, tool=task.tool, ok=observation.ok,
                    content=observation.content[:200])
        self._done[task.id].set_result(observation)

    async def _invoke_once(self, task: Task, call: ToolCall) -> Observation:
        """The call's result: an earlier identical call's when there is one, else its own."""
        sig = signature(call)
        before = self.guard.seen.get(sig) if self.guard is not None else None
        if before is not None and before.ok:
            self.reused.add(task.id)
            return before
        if sig in self._pending:  # the same call, written twice in this plan
            self.reused.add(task.id)
            return await asyncio.shield(self._pending[sig])
        self._pending[sig] = asyncio.get_running_loop().create_future()
        refusal = (await self.policy.refusal(self.tools, call)
                   if self.policy is not None else None)
        if refusal is not None:
            self._pending[sig].set_result(refusal)
            if self.guard is not None:
                self.guard.remember(call, refusal, sig)
            return refusal
        self._event("task_start", id=task.id, tool=task.tool, arguments=call.arguments)
        try:
            observation = await self.invoke(call)
        except Exception as exc:  # noqa: BLE001
            # invoke never raises by contract; a bug must still not hang the dependents
            now = time.time()
            observation = Observation(call_id=call.id, tool=task.tool, ok=False,
                                      error="internal", content=f"{type(exc).__name__}: {exc}",
                                      started_at=now, ended_at=now)
        self._pending[sig].set_result(observation)
        if self.guard is not None:
            self.guard.remember(call, observation, sig)
        return observation

    def _event(self, kind: str, **payload) -> None:
        if self.recorder is not None:
            self.recorder.event(kind, **payload)


def _skipped(call: ToolCall, task: Task, failed: list[int]) -> Observation:
    now = time.time()
    which = ", ".join(f"task {d}" for d in failed)
    return Observation(call_id=call.id, tool=task.tool, ok=False, error=SKIPPED,
                       content=f"Not run: task {task.id} needs the result of {which}, which "
                               "failed.", started_at=now, ended_at=now)

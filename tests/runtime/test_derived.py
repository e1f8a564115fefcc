"""runtime.derived: what is built from a tool set is built once per version of that set."""

import gc
import weakref

from toolweave.runtime.derived import _DERIVED, derived
from toolweave.tools import ToolRegistry, tool


def _registry() -> ToolRegistry:
    return ToolRegistry([tool(lambda: "a", name="alpha"), tool(lambda: "b", name="beta")])


def test_kept_until_a_tool_is_added():
    registry, builds = _registry(), []

    def build():
        builds.append(1)
        return registry.names()

    assert derived(registry, "names", build) == ["alpha", "beta"]
    assert derived(registry, "names", build) == ["alpha", "beta"] and len(builds) == 1
    version = registry.version
    registry.add(tool(lambda: "g", name="gamma"))
    assert registry.version > version
    assert derived(registry, "names", build) == ["alpha", "beta", "gamma"]
    assert len(builds) == 2


def test_each_tool_set_and_each_key_has_its_own_entry():
    one, two = _registry(), _registry()
    assert derived(one, "k", lambda: 1) == 1
    assert derived(two, "k", lambda: 2) == 2  # an equal tool set is still another one
    assert derived(one, ("k", 2), lambda: 3) == 3
    assert derived(one, "k", lambda: 4) == 1


def test_entries_go_with_their_tool_set():
    registry = _registry()
    derived(registry, "k", lambda: object())
    ref = weakref.ref(registry)
    del registry
    gc.collect()
    assert ref() is None  # the cache did not keep it alive
    assert all(r is not None for r in _DERIVED.keys())

"""IdentityCache: derived data found by the very same objects, never by an equal or reused one."""

from toolweave._identity_cache import MISSING, IdentityCache


class Thing:
    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other):  # equal by content: the cache must still tell them apart
        return isinstance(other, Thing) and other.name == self.name

    __hash__ = None  # like a pydantic model: unhashable


def test_the_same_objects_and_extra_find_the_value():
    cache: IdentityCache[str] = IdentityCache()
    a, b = Thing("a"), Thing("b")
    assert cache.put([a, b], ("x", 1), "derived") == "derived"
    assert cache.get([a, b], ("x", 1)) == "derived"
    assert cache.get((a, b), ("x", 1)) == "derived"  # any sequence of the same objects


def test_equal_but_other_objects_other_order_or_extra_miss():
    cache: IdentityCache[str] = IdentityCache()
    a, b = Thing("a"), Thing("b")
    cache.put([a, b], "x", "derived")
    assert cache.get([Thing("a"), Thing("b")], "x") is MISSING
    assert cache.get([b, a], "x") is MISSING
    assert cache.get([a, b], "y") is MISSING
    assert cache.get([a], "x") is MISSING


def test_entries_keep_their_objects_alive_so_ids_are_never_reused():
    cache: IdentityCache[int] = IdentityCache()
    for n in range(200):
        cache.put([Thing(str(n))], (), n)  # the caller drops each object at once
    # had an object died, a new one could take its id and hit its entry
    fresh = [Thing("new") for _ in range(200)]
    assert all(cache.get([t], ()) is MISSING for t in fresh)


def test_the_cache_is_bounded():
    cache: IdentityCache[int] = IdentityCache(max_entries=8)
    keep = [Thing(str(n)) for n in range(50)]
    for n, t in enumerate(keep):
        cache.put([t], (), n)
    assert len(cache) <= 8
    assert cache.get([keep[-1]], ()) == 49

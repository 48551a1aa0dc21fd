"""Stage 2's site: stage 1's instruction plus the inline cache the interpreter filled for it."""

from __future__ import annotations

from stage1_interp.sites import Site

from .feedback import InlineCache

TYPE_CHECKING = False   # typing is not imported at run time: the first compile would pay for it
if TYPE_CHECKING:
    from collections.abc import Hashable

    from stage1_interp.bytecode_jit import BytecodeFunctionCompiler


class CachedSite(Site):
    """An instruction and its inline cache (None: the interpreter never ran it, or it has no cache)."""

    __slots__ = ("cache",)

    cache: InlineCache | None

    def __init__(self, compiler: "BytecodeFunctionCompiler", offset: int) -> None:
        super().__init__(compiler, offset)
        cache = compiler.record.feedback.get(offset)
        self.cache = cache if isinstance(cache, InlineCache) else None

    @property
    def cases(self) -> "list[Hashable]":
        """The cases compiled code may specialise on: the cache's, when it is monomorphic or polymorphic."""
        cache = self.cache
        return list(cache.cases) if cache is not None and cache.guarded else []

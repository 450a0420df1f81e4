"""The one owner of a C handle: frees it exactly once (close, `with`, or garbage collection)."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Optional, TypeVar

_T = TypeVar("_T", bound="Handle")


class Handle:
    """Base of the classes that own a C handle.

    The handle is freed exactly once: by :meth:`close`, at the end of a ``with`` block, or
    by a finalizer when the object is garbage-collected (or at interpreter exit). Using the
    object after that raises :class:`ValueError`.
    """

    _ptr: Any
    _finalizer: "Optional[weakref.finalize[Any, Any]]"

    def _own(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self._ptr = ptr
        self._finalizer = weakref.finalize(self, free, ptr)

    @property
    def _live(self) -> Any:
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is None or not finalizer.alive:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    @property
    def closed(self) -> bool:
        """Whether the handle has been freed."""
        finalizer = getattr(self, "_finalizer", None)
        return finalizer is None or not finalizer.alive

    def close(self) -> None:
        """Frees the handle now; later calls do nothing."""
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

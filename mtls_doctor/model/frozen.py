"""`@frozen`: `@dataclass(frozen=True)` at a third of its cost at import.

Python 3.11's `dataclass(frozen=True)` compiles six methods for every class (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), some 0.1 ms each: about
0.5 ms a class, 15-25 ms of a command's start-up over the few dozen classes it imports.
`frozen` lets `dataclasses` lay out the fields (no method compiled), compiles only `__init__`
(the code `dataclasses` writes, so that instances are made as fast) and builds the other five
from closures: about 0.15 ms a class. The result is the class `@dataclass(frozen=True)` makes:
the same signature, repr, equality, hash, `FrozenInstanceError`s and `__match_args__`, and
`dataclasses.fields`, `replace`, `asdict` and `is_dataclass` work on it (tests/test_frozen.py
holds it to that). A class using what this does not cover (a dataclass base, `ClassVar`,
`InitVar` or `KW_ONLY` annotations, `field(init=False)` or `kw_only`, its own `__setattr__`)
is made by `dataclass(frozen=True)` itself; type checkers see `dataclass_transform`.
"""

from __future__ import annotations

import dataclasses
import inspect
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

_MISSING = dataclasses.MISSING
_FROZEN = dataclasses.FrozenInstanceError


class _Factory:
    """The default shown for a field with a `default_factory` (`dataclasses` shows the same)."""

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _Factory()
#: the file name of the `__init__`s `frozen` compiles (tracebacks show it)
SOURCE_NAME = "<mtls_doctor.model.frozen>"


def _falls_back(cls: type) -> bool:
    """Whether `cls` asks for something only `dataclasses` itself handles: a dataclass base,
    its own `__setattr__`/`__delattr__` (which dataclasses refuses on a frozen class), a
    `ClassVar`, `InitVar` or `KW_ONLY` annotation, `field(init=False)` or `kw_only`, or a field
    named `self`."""
    if any(hasattr(b, "__dataclass_fields__") for b in cls.__mro__[1:]):
        return True
    if "__setattr__" in cls.__dict__ or "__delattr__" in cls.__dict__:
        return True
    for name, annotation in inspect.get_annotations(cls).items():
        if name == "self":
            return True  # dataclasses renames `__init__`'s own first parameter then
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if any(word in text for word in ("ClassVar", "InitVar", "KW_ONLY")):
            return True
        value = cls.__dict__.get(name)
        if isinstance(value, dataclasses.Field) and (not value.init or value.kw_only is True):
            return True
    return False


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an instance's values of `names` as a tuple."""
    if len(names) > 1:
        return attrgetter(*names)
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _init(fields: tuple[dataclasses.Field[Any], ...], post_init: bool) -> Callable[..., None]:
    """`__init__`, written as `dataclasses` writes it for a frozen class."""
    scope: dict[str, Any] = {"__mtls_set": object.__setattr__, "__mtls_factory": _HAS_FACTORY}
    params, lines = ["self"], []
    for f in fields:
        name = f.name
        if f.default_factory is not _MISSING:
            scope[f"__mtls_make_{name}"] = f.default_factory
            params.append(f"{name}=__mtls_factory")
            value = f"__mtls_make_{name}() if {name} is __mtls_factory else {name}"
        elif f.default is not _MISSING:
            scope[f"__mtls_default_{name}"] = f.default
            params.append(f"{name}=__mtls_default_{name}")
            value = name
        else:
            params.append(name)
            value = name
        lines.append(f"  __mtls_set(self, {name!r}, {value})")
    if post_init:
        lines.append("  self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(lines) or "  pass") + "\n"
    exec(compile(source, SOURCE_NAME, "exec"), scope)  # noqa: S102 - made of field names
    fn: Callable[..., None] = scope["__init__"]
    fn.__annotations__ = {**{f.name: f.type for f in fields}, "return": None}
    return fn


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), get_ident()
        if key in running:
            return "..."  # as dataclasses does for an instance that contains itself
        running.add(key)
        try:
            inner = ", ".join([f"{n}={getattr(self, n)!r}" for n in names])
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _setattr(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise _FROZEN(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _delattr(cls: type[Any], names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise _FROZEN(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__


def _set(cls: type, name: str, fn: Callable[..., Any], *, own_first: bool = True) -> None:
    """Put `fn` on `cls` as `name`, unless the class defines its own (`own_first`; as
    dataclasses does, for every method but `__setattr__`, `__delattr__` and `__hash__`)."""
    if own_first and name in cls.__dict__:
        return
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, fn)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def frozen(cls: type[T]) -> type[T]:
    """The class as `@dataclass(frozen=True)` makes it, made faster (see the module)."""
    if _falls_back(cls):
        return dataclasses.dataclass(frozen=True)(cls)
    documented = bool(cls.__dict__.get("__doc__"))
    class_hash = cls.__dict__.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING
                         or (class_hash is None and "__eq__" in cls.__dict__))
    # the fields laid out, `__match_args__` set, nothing compiled
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = tuple(f.name for f in fields)
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    _set(cls, "__init__", _init(fields, hasattr(cls, "__post_init__")))
    _set(cls, "__repr__", _repr(tuple(f.name for f in fields if f.repr)))
    _set(cls, "__eq__", _eq(_getter(compared)))
    if not explicit_hash:
        _set(cls, "__hash__", _hash(_getter(hashed)), own_first=False)
    _set(cls, "__setattr__", _setattr(cls, frozenset(names)), own_first=False)
    _set(cls, "__delattr__", _delattr(cls, frozenset(names)), own_first=False)
    params = cls.__dict__["__dataclass_params__"]
    params.init = params.repr = params.eq = params.frozen = True
    if not documented:
        try:
            text = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            text = ""
        cls.__doc__ = cls.__name__ + text
    return cls

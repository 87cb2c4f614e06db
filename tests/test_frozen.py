"""`model.frozen.frozen` makes the class `dataclass(frozen=True)` makes: each shape of class is
declared once, made both ways, and every observable behaviour is compared."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Callable
from dataclasses import field
from typing import Any, ClassVar

import pytest

import mtls_doctor
from mtls_doctor.model.frozen import SOURCE_NAME, frozen


def _both(body: Callable[[], type]) -> tuple[type, type]:
    """The class `body` declares, made by `frozen` and by `dataclass(frozen=True)`."""
    return frozen(body()), dataclasses.dataclass(frozen=True)(body())


def _ours(cls: type) -> bool:
    init = cls.__dict__.get("__init__")
    return init is not None and init.__code__.co_filename == SOURCE_NAME


def _plain() -> type:
    class Plain:
        """A value."""

        a: int
        b: str = "x"
        c: Any = ()

    return Plain


def _rich() -> type:
    class Rich:
        a: int
        secret: bytes = field(default=b"", repr=False)
        memo: dict[str, int] = field(default_factory=dict, compare=False)
        meta: str | None = field(default=None, metadata={"report": False})
        hashed_only: int = field(default=0, compare=False, hash=True)

    return Rich


def _empty() -> type:
    class Empty:
        """Nothing."""

    return Empty


def _post_init() -> type:
    class Post:
        a: int

        def __post_init__(self) -> None:
            object.__setattr__(self, "seen", self.a * 2)

    return Post


def _own_methods() -> type:
    class Own:  # noqa: PLW1641 - __eq__ alone: Python sets __hash__ to None
        a: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

    return Own


def _own_hash() -> type:
    class OwnHash:
        a: int

        def __hash__(self) -> int:
            return 7

    return OwnHash


SHAPES = [_plain, _rich, _empty, _post_init, _own_methods, _own_hash]
ARGS: dict[str, tuple[Any, ...]] = {"Plain": (1,), "Rich": (1,), "Empty": (), "Post": (3,),
                                   "Own": (1,), "OwnHash": (1,)}


def _signature(cls: type) -> list[tuple[str, str, Any]]:
    return [(p.name, repr(p.default), p.annotation)
            for p in inspect.signature(cls).parameters.values()]


def _fields(cls: type) -> list[tuple[Any, ...]]:
    return [(f.name, f.type, f.default, f.default_factory, f.repr, f.compare, f.hash,
             dict(f.metadata)) for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("body", SHAPES)
def test_same_class_as_dataclass_frozen(body: Callable[[], type]) -> None:
    ours, theirs = _both(body)
    assert _ours(ours) and not _ours(theirs)
    args = ARGS[ours.__name__]
    a: Any = ours(*args)
    b: Any = theirs(*args)
    assert _signature(ours) == _signature(theirs)
    assert ours.__dict__["__init__"].__annotations__ == theirs.__dict__["__init__"].__annotations__
    assert ours.__doc__ == theirs.__doc__
    assert repr(a) == repr(b)
    assert _fields(ours) == _fields(theirs)
    assert getattr(ours, "__match_args__", None) == getattr(theirs, "__match_args__", None)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert dataclasses.is_dataclass(ours) and dataclasses.is_dataclass(a)
    assert vars(a) == vars(b)
    assert (a == ours(*args)) is (b == theirs(*args))
    if ours.__name__ != "Own":
        assert a != b and b != a  # never equal to an instance of another class
    assert (ours.__hash__ is None) is (theirs.__hash__ is None)
    if ours.__hash__ is not None:
        assert hash(a) == hash(b)  # the same fields, hashed as one tuple
    for obj in (a, b):
        for name in ("a", "new"):
            with pytest.raises(dataclasses.FrozenInstanceError) as raised:
                setattr(obj, name, 1)
            assert str(raised.value) == f"cannot assign to field {name!r}"
        with pytest.raises(dataclasses.FrozenInstanceError) as raised:
            delattr(obj, "a")
        assert str(raised.value) == "cannot delete field 'a'"
    for attr in ("init", "repr", "eq", "order", "unsafe_hash", "frozen"):
        assert getattr(vars(ours)["__dataclass_params__"], attr) == \
            getattr(vars(theirs)["__dataclass_params__"], attr), attr
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        fn, other = ours.__dict__.get(name), theirs.__dict__.get(name)
        assert (fn is None) is (other is None), name
        if fn is not None and other is not None:
            assert fn.__qualname__ == other.__qualname__, name


def test_equality_and_hash_follow_the_fields_flags() -> None:
    ours, theirs = _both(_rich)
    for cls in (ours, theirs):
        a = cls(1)
        assert a.memo == {} and a.memo is not cls(1).memo  # a new dict each time
        assert "secret" not in repr(a)
        assert a == cls(1, memo={"k": 1})  # compare=False
        assert a != cls(1, secret=b"s")
        assert hash(a) == hash(cls(1, memo={"k": 1}))
        assert hash(a) != hash(cls(1, hashed_only=5))  # hash=True without compare
    assert hash(ours(1, b"s", {}, "m", 2)) == hash(theirs(1, b"s", {}, "m", 2))


def test_replace_copy_pickle() -> None:
    ours, _ = _both(_rich)
    a = ours(1)
    c = dataclasses.replace(a, a=2, secret=b"s")
    assert (c.a, c.secret, c.memo, type(c)) == (2, b"s", {}, ours)
    assert copy.copy(a) == a and copy.deepcopy(a) == a
    assert pickle.loads(pickle.dumps(_Picklable(1, (2,)))) == _Picklable(1, (2,))  # noqa: S301
    with pytest.raises(TypeError):
        ours()  # a required field
    with pytest.raises(TypeError):
        ours(1, nope=2)


def test_post_init_runs() -> None:
    ours, _ = _both(_post_init)
    assert ours(3).seen == 6


def test_an_instance_that_contains_itself() -> None:
    ours, theirs = _both(_plain)
    a_list: list[Any] = []
    b_list: list[Any] = []
    a, b = ours(1, "x", a_list), theirs(1, "x", b_list)
    a_list.append(a)
    b_list.append(b)
    assert repr(a) == repr(b)
    assert repr(a).endswith("Plain(a=1, b='x', c=[...])")


def test_unsupported_shapes_are_made_by_dataclasses() -> None:
    class WithClassVar:
        limit: ClassVar[int] = 3
        a: int

    class NoInit:
        a: int
        b: int = field(default=0, init=False)

    class KwOnly:
        a: int = field(kw_only=True)

    class Self:
        self: int

    for cls in (WithClassVar, NoInit, KwOnly, Self):
        assert not _ours(frozen(cls))
    assert WithClassVar(1).limit == 3  # type: ignore[call-arg]
    assert KwOnly(a=1).a == 1  # type: ignore[call-arg]
    assert Self(2).self == 2  # type: ignore[call-arg]

    base: type = frozen(_plain())

    class Child(base):  # type: ignore[misc]
        d: int = 0

    child = frozen(Child)
    assert not _ours(child) and child(1).d == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        child(1).d = 2


def test_every_frozen_class_of_the_package_takes_its_fields() -> None:
    """Each class the package makes with `frozen` takes its fields, in order, with their
    defaults, and says it is frozen."""
    seen = 0
    for info in pkgutil.walk_packages(mtls_doctor.__path__, "mtls_doctor."):
        if info.name.startswith("mtls_doctor.tui") or info.name.endswith("__main__"):
            continue  # the TUI needs textual; __main__ runs the command line
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if not (isinstance(obj, type) and obj.__module__ == module.__name__ and _ours(obj)):
                continue
            seen += 1
            params = list(inspect.signature(obj).parameters.values())
            fields = dataclasses.fields(obj)
            assert [p.name for p in params] == [f.name for f in fields], obj
            for p, f in zip(params, fields, strict=True):
                if f.default is not dataclasses.MISSING:
                    assert p.default is f.default, (obj, f.name)
                elif f.default_factory is not dataclasses.MISSING:
                    assert repr(p.default) == "<factory>", (obj, f.name)
                else:
                    assert p.default is inspect.Parameter.empty, (obj, f.name)
            assert vars(obj)["__dataclass_params__"].frozen, obj
    assert seen >= 30


@frozen
class _Picklable:
    a: int
    b: tuple[int, ...]

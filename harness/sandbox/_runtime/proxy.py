"""The test runner's side of `isolation: process`: the submission's modules as proxies.

`import slugify` in a hidden test gives a proxy module; calling anything on it
sends the call to the submission's process and turns the reply back into plain
values. Objects of the submission (instances, functions, classes) stay there
and are represented here by `RemoteObject`s, which compare by identity: an
always-equal return value cannot exist on this side. Exceptions come back as
builtin exception types (or local stand-ins of the submission's own classes
derived from one), never as anything of pytest's.
"""

import builtins
import importlib.abc
import importlib.machinery
import sys
import types

import wire

_FORBIDDEN_BASES = (SystemExit, KeyboardInterrupt, GeneratorExit)


class SubmissionError(Exception):
    """The submission raised something that has no builtin Exception class to stand for it."""


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.remote = {}
        self.exception_classes = {}
        self.callbacks = {}
        self.callback_ids = {}

    # Values this side sends: plain data, proxies of the submission's own objects, our callables.
    def handle_of(self, value):
        if isinstance(value, RemoteObject):
            return {"R": object.__getattribute__(value, "_handle")}
        if isinstance(value, type) and value in self.exception_classes.values():
            handle = next(h for h, c in self.exception_classes.items() if c is value)
            return {"R": handle}
        if callable(value):
            key = id(value)
            if key not in self.callback_ids:
                self.callback_ids[key] = len(self.callbacks) + 1
                self.callbacks[self.callback_ids[key]] = value
            return {"C": self.callback_ids[key]}
        raise TypeError(
            f"a {type(value).__name__} cannot be passed to a process-isolated submission "
            "(plain data, callables and the submission's own objects can)"
        )

    def resolve(self, tag, payload):
        if tag == "R" and type(payload) is int:
            if payload not in self.remote:
                self.remote[payload] = RemoteObject(self, payload)
            return self.remote[payload]
        if tag == "E" and type(payload) is list and len(payload) == 3:
            return self.exception_class(*payload)
        if tag == "C" and payload in self.callbacks:
            return self.callbacks[payload]
        raise wire.ProtocolError(f"unknown value tag {tag!r}")

    def exception_class(self, handle, name, base_name):
        if type(handle) is not int or type(name) is not str or type(base_name) is not str:
            raise wire.ProtocolError("bad exception class")
        if handle not in self.exception_classes:
            base = getattr(builtins, base_name, None)
            if not (isinstance(base, type) and issubclass(base, Exception)) or issubclass(base, _FORBIDDEN_BASES):
                base = SubmissionError
            self.exception_classes[handle] = type(name, (base,), {"__module__": "submission"})
        return self.exception_classes[handle]

    def encode(self, value):
        return wire.encode(value, self.handle_of)

    def decode(self, data):
        return wire.decode(data, self.resolve)

    def raise_error(self, info):
        if type(info) is not dict:
            raise wire.ProtocolError("bad error reply")
        name, base_name = str(info.get("name", "Exception")), str(info.get("base", "Exception"))
        if type(info.get("cls")) is int:
            cls = self.exception_class(info["cls"], name, base_name)
        else:
            cls = getattr(builtins, base_name, None)
            if not (isinstance(cls, type) and issubclass(cls, Exception)) or issubclass(cls, _FORBIDDEN_BASES):
                cls = SubmissionError
        args = info.get("args")
        args = [a for a in args if a is None or type(a) in (bool, int, float, str)] if type(args) is list else []
        message = str(info.get("msg", ""))[:4000]
        try:
            error = cls(*args) if args else cls(message)
        except Exception:  # noqa: BLE001 - a builtin that wants other arguments
            error = cls(message) if cls is not SubmissionError else SubmissionError(f"{name}: {message}")
        raise error

    def request(self, op, handle=None, **fields):
        message = {"op": op, "h": handle, **fields}
        wire.send(self.sock, message)
        while True:
            reply = wire.receive(self.sock)
            if "cb" in reply:
                self.run_callback(reply)
                continue
            if "r" in reply:
                return self.decode(reply["r"])
            if "e" in reply:
                self.raise_error(reply["e"])
            raise wire.ProtocolError("reply is neither a result nor an error")

    def run_callback(self, message):
        function = self.callbacks.get(message.get("cb"))
        try:
            if function is None:
                raise wire.ProtocolError("unknown callback")
            args = [self.decode(a) for a in message.get("args", [])]
            kwargs = {str(k): self.decode(v) for k, v in dict(message.get("kwargs", {})).items()}
            reply = {"r": self.encode(function(*args, **kwargs))}
        except Exception as exc:  # noqa: BLE001 - the callback's failure goes back to the submission
            reply = {"e": {"name": type(exc).__name__, "msg": str(exc)[:4000]}}
        wire.send(self.sock, reply)


def _typed(value, expected, what):
    if type(value) is not expected:
        raise TypeError(f"{what} returned {type(value).__name__}, expected {expected.__name__}")
    return value


class RemoteObject:
    """An object that lives in the submission's process."""

    __slots__ = ("_connection", "_handle", "__weakref__")

    def __init__(self, connection, handle):
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_handle", handle)

    def _request(self, op, **fields):
        return object.__getattribute__(self, "_connection").request(
            op, object.__getattribute__(self, "_handle"), **fields
        )

    def _op(self, name, *args):
        connection = object.__getattribute__(self, "_connection")
        return self._request("op", name=name, args=[connection.encode(a) for a in args])

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._request("getattr", name=name)

    def __setattr__(self, name, value):
        self._request("setattr", name=name, value=object.__getattribute__(self, "_connection").encode(value))

    def __delattr__(self, name):
        self._request("delattr", name=name)

    def __call__(self, *args, **kwargs):
        connection = object.__getattribute__(self, "_connection")
        return self._request(
            "call", args=[connection.encode(a) for a in args], kwargs={k: connection.encode(v) for k, v in kwargs.items()}
        )

    def __len__(self):
        size = _typed(self._op("len"), int, "len()")
        if size < 0:
            raise ValueError("len() returned a negative number")
        return size

    def __bool__(self):
        return _typed(self._op("bool"), bool, "bool()")

    def __repr__(self):
        return _typed(self._op("repr"), str, "repr()")

    def __str__(self):
        return _typed(self._op("str"), str, "str()")

    def __contains__(self, item):
        return bool(self._op("contains", item))

    def __getitem__(self, key):
        return self._op("getitem", key)

    def __setitem__(self, key, value):
        self._op("setitem", key, value)

    def __delitem__(self, key):
        self._op("delitem", key)

    def __iter__(self):
        return self._op("iter")

    def __next__(self):
        return self._op("next")

    def __enter__(self):
        return self._op("enter")

    def __exit__(self, *exc_info):
        plain = [None if isinstance(v, (type, BaseException, types.TracebackType)) else v for v in exc_info]
        return self._op("exit", *plain)

    __eq__ = object.__eq__
    __hash__ = object.__hash__


class ProxyModule(types.ModuleType):
    """A submission module: attribute lookups go to the submission's process."""

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self.__dict__["_harness_remote"].__getattr__(name)


class _Loader(importlib.abc.Loader):
    def __init__(self, connection):
        self.connection = connection

    def create_module(self, spec):
        module = ProxyModule(spec.name)
        module.__dict__["_harness_remote"] = self.connection.request("import", name=spec.name)
        return module

    def exec_module(self, module):
        pass


class ProxyFinder(importlib.abc.MetaPathFinder):
    """Serves the submission's module names from the submission's process, before any other finder."""

    def __init__(self, connection, names):
        self.loader = _Loader(connection)
        self.names = frozenset(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.names:
            return importlib.machinery.ModuleSpec(fullname, self.loader, origin="submission")
        return None


def install(sock, names):
    sys.meta_path.insert(0, ProxyFinder(Connection(sock), names))

"""The submission's process (isolation: process): imports the submission and serves calls.

Runs under its own uid, with no access to the hidden tests. Everything here is
as untrusted as the submission itself: the test runner decodes what it sends
into plain values only.
"""

import importlib
import operator
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

sys.path.remove(os.path.dirname(os.path.abspath(__file__)))

_OPS = {
    "len": len,
    "bool": bool,
    "repr": repr,
    "str": str,
    "iter": iter,
    "next": next,
    "contains": operator.contains,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "enter": lambda obj: type(obj).__enter__(obj),
    "exit": lambda obj, *args: type(obj).__exit__(obj, *args),
}


class Server:
    def __init__(self, sock):
        self.sock = sock
        self.objects = {}
        self.ids = {}

    def handle_of(self, value):
        key = id(value)
        if key not in self.ids:
            self.ids[key] = len(self.objects) + 1
            self.objects[self.ids[key]] = value
        handle = self.ids[key]
        if isinstance(value, type) and issubclass(value, BaseException):
            return {"E": [handle, value.__name__, _builtin_base(value).__name__]}
        return {"R": handle}

    def resolve(self, tag, payload):
        if tag == "R" and payload in self.objects:
            return self.objects[payload]
        if tag == "C" and type(payload) is int:
            return Callback(self, payload)
        raise wire.ProtocolError(f"unknown value tag {tag!r}")

    def encode(self, value):
        return wire.encode(value, self.handle_of)

    def decode(self, data):
        return wire.decode(data, self.resolve)

    def error(self, exc):
        cls = type(exc)
        handle = self.handle_of(cls)["E"][0] if cls.__module__ != "builtins" else None
        try:
            args = [self.encode(a) for a in exc.args if isinstance(a, (str, int, float, bool, type(None)))]
        except Exception:  # noqa: BLE001
            args = []
        try:
            message = str(exc)
        except Exception:  # noqa: BLE001
            message = ""
        return {"e": {"name": cls.__name__, "base": _builtin_base(cls).__name__, "cls": handle, "args": args, "msg": message}}

    def execute(self, message):
        op = message.get("op")
        target = self.objects.get(message.get("h"))
        if op == "import":
            return importlib.import_module(message["name"])
        if op == "getattr":
            return getattr(target, message["name"])
        if op == "setattr":
            return setattr(target, message["name"], self.decode(message["value"]))
        if op == "delattr":
            return delattr(target, message["name"])
        if op == "call":
            args = [self.decode(a) for a in message.get("args", [])]
            kwargs = {k: self.decode(v) for k, v in message.get("kwargs", {}).items()}
            return target(*args, **kwargs)
        if op == "op":
            args = [self.decode(a) for a in message.get("args", [])]
            return _OPS[message["name"]](target, *args)
        raise wire.ProtocolError(f"unknown operation {op!r}")

    def answer(self, message):
        try:
            reply = {"r": self.encode(self.execute(message))}
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            reply = self.error(exc)
        wire.send(self.sock, reply)

    def serve(self):
        while True:
            try:
                message = wire.receive(self.sock)
            except EOFError:
                return
            self.answer(message)

    def wait_for_reply(self):
        """While a callback runs on the other side, serve what it asks of us."""
        while True:
            message = wire.receive(self.sock)
            if "op" in message:
                self.answer(message)
                continue
            if "r" in message:
                return self.decode(message["r"])
            raise RuntimeError(str(message.get("e", {}).get("msg", "callback failed")))


class Callback:
    """A callable of the test's, called across the connection."""

    def __init__(self, server, number):
        self.server, self.number = server, number

    def __call__(self, *args, **kwargs):
        message = {
            "cb": self.number,
            "args": [self.server.encode(a) for a in args],
            "kwargs": {k: self.server.encode(v) for k, v in kwargs.items()},
        }
        wire.send(self.server.sock, message)
        return self.server.wait_for_reply()


def _builtin_base(cls):
    for base in cls.__mro__:
        if base.__module__ == "builtins":
            return base
    return BaseException


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    workdir = sys.argv[2]
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    Server(sock).serve()


if __name__ == "__main__":
    main()

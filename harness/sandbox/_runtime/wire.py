"""Length-prefixed JSON messages between the test runner and the submission's process.

Shipped into the sandbox container; the standard library only. Values cross as
plain data: None, bool, int, float, str, bytes, list, tuple, dict, set and
frozenset. Anything else stays in the process that owns it and crosses as a
handle. The decoder builds nothing but these types, so a hostile peer can send
any bytes and still only produce plain values.
"""

import base64
import json
import struct

MAX_MESSAGE_BYTES = 16 * 2**20
_LENGTH = struct.Struct(">I")


class ProtocolError(Exception):
    """The peer sent something that is not a message of this protocol."""


def send(sock, message):
    data = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes is over the {MAX_MESSAGE_BYTES}-byte limit")
    sock.sendall(_LENGTH.pack(len(data)) + data)


def _read_exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("the other process closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def receive(sock):
    (size,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {size} bytes is over the {MAX_MESSAGE_BYTES}-byte limit")
    try:
        message = json.loads(_read_exactly(sock, size))
    except ValueError as exc:
        raise ProtocolError(f"message is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    return message


def encode(value, handle_of):
    """Plain data as JSON; `handle_of(value)` gives the tagged form of anything else."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str.__str__(value)
        return None
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return {"L": [encode(v, handle_of) for v in value]}
    if isinstance(value, tuple):
        return {"T": [encode(v, handle_of) for v in value]}
    if isinstance(value, dict):
        return {"D": [[encode(k, handle_of), encode(v, handle_of)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"F": [encode(v, handle_of) for v in value]}
    if isinstance(value, set):
        return {"S": [encode(v, handle_of) for v in value]}
    return handle_of(value)


def decode(data, resolve):
    """The plain value `data` stands for; `resolve(tag, payload)` turns handle tags into objects."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ProtocolError(f"not an encoded value: {str(data)[:80]}")
    ((tag, payload),) = data.items()
    if tag == "B":
        if type(payload) is not str:
            raise ProtocolError("bytes must be base64 text")
        return base64.b64decode(payload.encode("ascii"), validate=True)
    if tag in ("L", "T", "S", "F"):
        if type(payload) is not list:
            raise ProtocolError(f"{tag} must hold a list")
        items = [decode(v, resolve) for v in payload]
        return {"L": list, "T": tuple, "S": set, "F": frozenset}[tag](items)
    if tag == "D":
        if type(payload) is not list or any(type(p) is not list or len(p) != 2 for p in payload):
            raise ProtocolError("D must hold [key, value] pairs")
        return {decode(k, resolve): decode(v, resolve) for k, v in payload}
    return resolve(tag, payload)

"""A MongoDB replica-set member speaking the wire protocol (mockupdb), with a real SCRAM-SHA-256 login.

pymongo checks the server's signature, so a scripted reply cannot log in: the member runs the
RFC 5802/7677 conversation (salt, iterations, ClientProof check, ServerSignature `v=`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

from bson import Binary
from mockupdb import MockupDB

ITERATIONS = 4096


def member(name: str, state: str, health: int = 1) -> dict[str, Any]:
    codes = {"PRIMARY": 1, "SECONDARY": 2, "(not reachable/healthy)": 8}
    return {
        "_id": int(name[-1]),
        "name": name,
        "stateStr": state,
        "state": codes.get(state, 6),
        "health": health,
    }


@dataclass
class MongoMember:
    """One member; `members` is what replSetGetStatus says about the set, as this member sees it."""

    user: str
    password: str
    set_name: str = "rs0"
    members: list[dict[str, Any]] = field(default_factory=list)
    server: MongoDB | None = None  # type: ignore[name-defined]  # noqa: F821
    _salt: bytes = field(default_factory=lambda: os.urandom(16))
    _pending: dict[str, Any] = field(default_factory=dict)

    def start(self) -> int:
        self.server = MockupDB(max_wire_version=21)
        for command in ("ismaster", "isMaster", "hello"):
            self.server.autoresponds(command, self._hello)
        self.server.autoresponds("saslStart", self._sasl_start)
        self.server.autoresponds("saslContinue", self._sasl_continue)
        self.server.autoresponds("replSetGetStatus", self._status)
        self.server.autoresponds("ping", ok=1)
        self.server.autoresponds("endSessions", ok=1)
        return int(self.server.run())

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def address(self) -> str:
        assert self.server is not None
        return str(self.server.address_string)

    def _hello(self, request: Any) -> bool:
        me = self.address
        state = next((m["stateStr"] for m in self.members if m.get("self")), "PRIMARY")
        doc = {
            "ismaster": state == "PRIMARY",
            "isWritablePrimary": state == "PRIMARY",
            "secondary": state == "SECONDARY",
            "setName": self.set_name,
            "hosts": [me],
            "me": me,
            "setVersion": 1,
            "minWireVersion": 0,
            "maxWireVersion": 21,
            "saslSupportedMechs": ["SCRAM-SHA-256"],
        }
        return bool(request.ok(doc))

    # -- SCRAM-SHA-256 ------------------------------------------------------------------------------
    def _keys(self) -> tuple[bytes, bytes]:
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), self._salt, ITERATIONS)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        return hashlib.sha256(client_key).digest(), server_key

    def _sasl_start(self, request: Any) -> bool:
        first = bytes(request.doc["payload"]).decode()
        bare = first.split(",", 2)[2]
        attrs = dict(part.split("=", 1) for part in bare.split(","))
        nonce = attrs["r"] + base64.b64encode(os.urandom(18)).decode()
        server_first = f"r={nonce},s={base64.b64encode(self._salt).decode()},i={ITERATIONS}"
        self._pending = {"bare": bare, "server_first": server_first, "user": attrs["n"], "nonce": nonce}
        return bool(request.ok(conversationId=1, done=False, payload=Binary(server_first.encode())))

    def _sasl_continue(self, request: Any) -> bool:
        final = bytes(request.doc["payload"]).decode()
        without_proof, _, proof = final.rpartition(",p=")
        auth_message = f"{self._pending['bare']},{self._pending['server_first']},{without_proof}".encode()
        stored_key, server_key = self._keys()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature, strict=True))
        if self._pending["user"] != self.user or hashlib.sha256(client_key).digest() != stored_key:
            return bool(
                request.command_err(code=18, errmsg="Authentication failed.", codeName="AuthenticationFailed")
            )
        verifier = base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest()).decode()
        return bool(request.ok(conversationId=1, done=True, payload=Binary(f"v={verifier}".encode())))

    def _status(self, request: Any) -> bool:
        if not self.members:
            return bool(
                request.command_err(
                    code=94, errmsg="no replset config has been received", codeName="NotYetInitialized"
                )
            )
        members = [{k: v for k, v in m.items() if k != "self"} for m in self.members]
        return bool(request.ok(set=self.set_name, myState=1, members=members))

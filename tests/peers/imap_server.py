"""A small real IMAP4rev1 server on loopback, for the IMAP poller's tests and the demo.

It speaks the subset a mailbox poller needs, over plain TCP or implicit TLS: CAPABILITY,
LOGIN, SELECT/EXAMINE, SEARCH/UID SEARCH (ALL, UNSEEN, SEEN), FETCH/UID FETCH (UID,
FLAGS, RFC822, RFC822.SIZE, BODY[], BODY.PEEK[]), STORE/UID STORE (±FLAGS[.SILENT]),
NOOP, CLOSE and LOGOUT. One mailbox (INBOX), messages added with :meth:`ImapPeer.add`.
Fetching ``BODY[]`` or ``RFC822`` sets ``\\Seen`` as a real server does; ``BODY.PEEK[]``
does not.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tests.peers.smtp_server import self_signed_cert

_ITEMS_RE = re.compile(r"BODY\.PEEK\[\]|BODY\[\]|RFC822\.SIZE|RFC822|UID|FLAGS", re.IGNORECASE)


@dataclass
class StoredMail:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


def _tokens(line: str) -> list[str]:
    """Split an IMAP command line into atoms, quoted strings and parenthesised lists."""
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == " ":
            i += 1
        elif ch == '"':
            i += 1
            buf = []
            while i < len(line) and line[i] != '"':
                if line[i] == "\\" and i + 1 < len(line):
                    i += 1
                buf.append(line[i])
                i += 1
            out.append("".join(buf))
            i += 1
        elif ch == "(":
            depth, start = 0, i
            while i < len(line):
                depth += {"(": 1, ")": -1}.get(line[i], 0)
                i += 1
                if depth == 0:
                    break
            out.append(line[start:i])
        else:
            start = i
            while i < len(line) and line[i] != " ":
                i += 1
            out.append(line[start:i])
    return out


@dataclass
class ImapPeer:
    """``async with ImapPeer(users={"bot": "pw"}) as peer: peer.add(raw_bytes)``."""

    users: Mapping[str, str]
    tls: Literal["none", "implicit"] = "none"
    host: str = "127.0.0.1"
    port: int = 0

    mails: list[StoredMail] = field(default_factory=list, init=False)
    connections: int = field(default=0, init=False)
    logins: int = field(default=0, init=False)
    failed_logins: int = field(default=0, init=False)
    commands: list[str] = field(default_factory=list, init=False)
    _next_uid: int = field(default=1, init=False)
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, init=False, repr=False)

    @property
    def ca_file(self) -> str:
        return str(self_signed_cert().cert_file)

    def add(self, data: bytes, *, seen: bool = False) -> int:
        """Deliver a message into INBOX; returns its UID."""
        uid = self._next_uid
        self._next_uid += 1
        self.mails.append(StoredMail(uid, data, {"\\Seen"} if seen else set()))
        return uid

    def flags(self, uid: int) -> set[str]:
        return next(m.flags for m in self.mails if m.uid == uid)

    async def start(self) -> ImapPeer:
        ssl_ctx = self_signed_cert().server_context() if self.tls == "implicit" else None
        self._server = await asyncio.start_server(self._serve, self.host, self.port, ssl=ssl_ctx)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> ImapPeer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ protocol

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        state = "nonauth"
        try:
            writer.write(b"* OK [CAPABILITY IMAP4rev1] duebot test IMAP ready\r\n")
            while True:
                raw = await reader.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                parts = line.split(" ", 2)
                if len(parts) < 2:
                    writer.write(b"* BAD missing command\r\n")
                    continue
                tag, command = parts[0], parts[1].upper()
                args = _tokens(parts[2]) if len(parts) > 2 else []
                uid_mode = command == "UID"
                if uid_mode:
                    if not args:
                        writer.write(f"{tag} BAD UID needs a command\r\n".encode())
                        continue
                    command, args = args[0].upper(), args[1:]
                self.commands.append(f"UID {command}" if uid_mode else command)
                state = self._handle(writer, tag, command, args, state, uid_mode)
                await writer.drain()
                if state == "logout":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _handle(
        self,
        w: asyncio.StreamWriter,
        tag: str,
        command: str,
        args: list[str],
        state: str,
        uid_mode: bool,
    ) -> str:
        def ok(text: str) -> None:
            w.write(f"{tag} OK {text}\r\n".encode())

        def bad(text: str) -> None:
            w.write(f"{tag} BAD {text}\r\n".encode())

        if command == "CAPABILITY":
            w.write(b"* CAPABILITY IMAP4rev1 UIDPLUS\r\n")
            ok("CAPABILITY completed")
        elif command == "NOOP":
            ok("NOOP completed")
        elif command == "LOGOUT":
            w.write(b"* BYE logging out\r\n")
            ok("LOGOUT completed")
            return "logout"
        elif command == "LOGIN":
            if state != "nonauth" or len(args) != 2:
                bad("LOGIN needs user and password, once")
            elif self.users.get(args[0]) == args[1]:
                self.logins += 1
                ok("LOGIN completed")
                return "auth"
            else:
                self.failed_logins += 1
                w.write(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n".encode())
        elif state == "nonauth":
            bad(f"{command} needs LOGIN first")
        elif command in ("SELECT", "EXAMINE"):
            if not args or args[0].upper() != "INBOX":
                w.write(f"{tag} NO no such mailbox\r\n".encode())
                return "auth"
            unseen = [i for i, m in enumerate(self.mails, 1) if "\\Seen" not in m.flags]
            w.write(f"* {len(self.mails)} EXISTS\r\n* 0 RECENT\r\n".encode())
            if unseen:
                w.write(f"* OK [UNSEEN {unseen[0]}] first unseen\r\n".encode())
            w.write(b"* OK [UIDVALIDITY 1] UIDs valid\r\n")
            w.write(f"* OK [UIDNEXT {self._next_uid}] predicted next UID\r\n".encode())
            w.write(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            ok(f"[{mode}] {command} completed")
            return "selected"
        elif state != "selected":
            bad(f"{command} needs SELECT first")
        elif command == "CLOSE":
            ok("CLOSE completed")
            return "auth"
        elif command == "SEARCH":
            self._search(w, args, uid_mode)
            ok("SEARCH completed")
        elif command == "FETCH" and len(args) == 2:
            self._fetch(w, args[0], args[1], uid_mode)
            ok("FETCH completed")
        elif command == "STORE" and len(args) == 3:
            if not self._store(w, args[0], args[1], args[2], uid_mode):
                bad("STORE needs FLAGS, +FLAGS or -FLAGS")
            else:
                ok("STORE completed")
        else:
            bad(f"unsupported command {command}")
        return state

    def _select_set(self, spec: str, uid_mode: bool) -> list[tuple[int, StoredMail]]:
        """(sequence number, mail) pairs named by a sequence set like ``1:3,7`` or ``5:*``."""
        numbered = list(enumerate(self.mails, 1))
        top = (self.mails[-1].uid if uid_mode else len(self.mails)) if self.mails else 0
        chosen: list[tuple[int, StoredMail]] = []
        for piece in spec.split(","):
            lo_s, _, hi_s = piece.partition(":")
            try:
                lo = top if lo_s == "*" else int(lo_s)
                hi = lo if not hi_s else (top if hi_s == "*" else int(hi_s))
            except ValueError:
                continue
            lo, hi = min(lo, hi), max(lo, hi)
            for seq, mail in numbered:
                key = mail.uid if uid_mode else seq
                if lo <= key <= hi and (seq, mail) not in chosen:
                    chosen.append((seq, mail))
        return chosen

    def _search(self, w: asyncio.StreamWriter, args: list[str], uid_mode: bool) -> None:
        criteria = [a.upper() for a in args]
        if criteria[:1] == ["CHARSET"]:
            criteria = criteria[2:]
        hits = []
        for seq, mail in enumerate(self.mails, 1):
            seen = "\\Seen" in mail.flags
            if "UNSEEN" in criteria and seen:
                continue
            if "SEEN" in criteria and not seen:
                continue
            hits.append(str(mail.uid if uid_mode else seq))
        w.write(("* SEARCH" + "".join(f" {h}" for h in hits) + "\r\n").encode())

    def _fetch(self, w: asyncio.StreamWriter, spec: str, items: str, uid_mode: bool) -> None:
        wanted = [m.upper() for m in _ITEMS_RE.findall(items)]
        if uid_mode and "UID" not in wanted:
            wanted.insert(0, "UID")
        for seq, mail in self._select_set(spec, uid_mode):
            pieces: list[bytes] = []
            literal: bytes | None = None
            literal_name = ""
            for item in wanted:
                if item == "UID":
                    pieces.append(f"UID {mail.uid}".encode())
                elif item == "FLAGS":
                    pieces.append(f"FLAGS ({' '.join(sorted(mail.flags))})".encode())
                elif item == "RFC822.SIZE":
                    pieces.append(f"RFC822.SIZE {len(mail.data)}".encode())
                else:
                    literal = mail.data
                    literal_name = "RFC822" if item == "RFC822" else "BODY[]"
                    if item != "BODY.PEEK[]":
                        mail.flags.add("\\Seen")
            head = f"* {seq} FETCH (".encode() + b" ".join(pieces)
            if literal is None:
                w.write(head + b")\r\n")
            else:
                sep = b" " if pieces else b""
                w.write(head + sep + f"{literal_name} {{{len(literal)}}}\r\n".encode())
                w.write(literal + b")\r\n")

    def _store(
        self, w: asyncio.StreamWriter, spec: str, action: str, flag_list: str, uid_mode: bool
    ) -> bool:
        action = action.upper()
        silent = action.endswith(".SILENT")
        base = action.removesuffix(".SILENT")
        if base not in ("FLAGS", "+FLAGS", "-FLAGS"):
            return False
        flags = set(flag_list.strip("()").split())
        for seq, mail in self._select_set(spec, uid_mode):
            if base == "FLAGS":
                mail.flags = set(flags)
            elif base == "+FLAGS":
                mail.flags |= flags
            else:
                mail.flags -= flags
            if not silent:
                shown = " ".join(sorted(mail.flags))
                w.write(f"* {seq} FETCH (UID {mail.uid} FLAGS ({shown}))\r\n".encode())
        return True

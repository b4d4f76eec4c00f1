"""Data model shared by the generator and the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class Request:
    line: bytes                      # raw bytes sent (without terminator)
    label: str                       # human readable ("call storage.set", "envelope bom")
    key: Optional[str] = None        # id key of the expected response (json.dumps of the id)
    expect: bool = True              # a response line is expected
    stash: Optional[str] = None      # BR-CLS-4 probe: id key the reference answers under
    pair: Optional[tuple] = None     # (ns, method) reached through session.call
    div: tuple = ()                  # divergence classes that may apply
    info: dict = field(default_factory=dict)
    term: bytes = b"\n"              # line terminator actually written


@dataclass
class Answer:
    """Node's answer to one outbound host request."""
    kind: str
    build: Callable[[Any], bytes]    # outbound id -> full line (with terminator)


@dataclass
class Step:
    requests: list[Request]
    label: str = ""
    answers: list[Answer] = field(default_factory=list)
    batch: bool = False              # several independent requests in flight at once
    sync: bool = False               # follow with a ping and wait for it
    timeout: Optional[float] = None

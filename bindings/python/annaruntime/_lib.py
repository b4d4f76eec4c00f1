"""Loading libannaruntime.so and declaring its C API (include/annaruntime.h).

Everything that touches ctypes lives here. Every symbol gets its
``argtypes``/``restype`` at import; strings the library allocates come back
as an unconverted pointer type (``OwnedString``, a ``c_char_p`` subclass: it
plays the role of the usual ``c_void_p`` but ``.value`` copies the text
without a ``string_at`` call, ~0.3 us less per call) and are released with
``anna_string_free`` (never with the host's ``free``); the runtime handle has
its own pointer type so it cannot be confused with a string pointer.

Where the library is looked for, first hit wins:

1. ``$ANNARUNTIME_LIBRARY`` — an explicit path (an error if it cannot be loaded;
   there is no silent fallback past an explicit choice);
2. a copy bundled inside this package (``libannaruntime.so``, put there by
   ``bindings/python/build_wheel.sh`` or by ``setup.py`` at build time);
3. the repository's ``.build/release/`` (then ``.build/debug/``) when the
   package is imported from a source checkout (``bindings/python/annaruntime``).

Right after loading, ``anna_runtime_version()`` is compared with the version
this package was written against; a mismatch fails the import with a message
that says which file was loaded and how to pick another one.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

#: The C API version this package is written against (ANNA_RUNTIME_VERSION in
#: include/annaruntime.h). The library must have the same major.minor and a
#: patch level at least this one (0.x minors may break the ABI).
EXPECTED_LIBRARY_VERSION = "0.1.0"

LIBRARY_ENV = "ANNARUNTIME_LIBRARY"
_SONAMES = ("libannaruntime.so", "libannaruntime.so.0")
_PKG_DIR = Path(__file__).resolve().parent


class LibraryLoadError(ImportError):
    """libannaruntime could not be found, loaded or has the wrong version."""


class OwnedString(ctypes.c_char_p):
    """A ``char *`` allocated by the library. As a subclass of ``c_char_p``
    ctypes does not convert it to bytes on return, so the pointer is kept for
    ``anna_string_free``; ``.value`` copies the text (faster than string_at)."""


class _RuntimeStruct(ctypes.Structure):
    """Opaque ``anna_runtime``; only pointers to it exist."""


RuntimePtr = ctypes.POINTER(_RuntimeStruct)

#: ``void (*)(void *userdata, uint64_t call_id, const char *method, const char *params_json)``
HOST_CALL_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p)


def candidate_paths() -> list[Path]:
    """Where the library is looked for, in order (see the module docstring)."""
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return [Path(env).expanduser()]
    out = [_PKG_DIR / name for name in _SONAMES]
    repo = _PKG_DIR.parents[2] if len(_PKG_DIR.parents) > 2 else None
    if repo is not None and (repo / "Package.swift").is_file() and (repo / "include" / "annaruntime.h").is_file():
        for config in ("release", "debug"):
            out += [repo / ".build" / config / name for name in _SONAMES]
    return out


def _find() -> Path:
    candidates = candidate_paths()
    if os.environ.get(LIBRARY_ENV):
        path = candidates[0]
        if not path.is_file():
            raise LibraryLoadError(f"{LIBRARY_ENV}={os.environ[LIBRARY_ENV]!r} does not name a file")
        return path
    for path in candidates:
        if path.is_file():
            return path
    tried = "\n  ".join(str(p) for p in candidates)
    raise LibraryLoadError(
        "libannaruntime.so not found. Tried:\n  " + tried + "\n"
        f"Set {LIBRARY_ENV}=/path/to/libannaruntime.so, or build it "
        "(swift build -c release --product annaruntime) and reinstall the package "
        "with bindings/python/build_wheel.sh."
    )


def _parse_version(text: str) -> tuple[int, int, int]:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    return int(parts[0]), int(parts[1]), int(parts[2])


def _compatible(found: str, expected: str = EXPECTED_LIBRARY_VERSION) -> bool:
    try:
        f, e = _parse_version(found), _parse_version(expected)
    except ValueError:
        return False
    return f[:2] == e[:2] and f[2] >= e[2]


def _declare(lib: ctypes.CDLL) -> None:
    c_char_p, c_void_p, c_int, c_uint64 = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64
    # Only library-owned strings are OwnedString (freed by anna_string_free);
    # static ones are c_char_p; the runtime is RuntimePtr.

    # Static strings owned by the library: c_char_p is right (never freed).
    lib.anna_runtime_version.argtypes = []
    lib.anna_runtime_version.restype = c_char_p
    lib.anna_dispatcher_version.argtypes = []
    lib.anna_dispatcher_version.restype = c_char_p

    # error_out receives a library-allocated string (NULL on success).
    lib.anna_runtime_new.argtypes = [c_char_p, ctypes.POINTER(OwnedString)]
    lib.anna_runtime_new.restype = RuntimePtr
    lib.anna_runtime_free.argtypes = [RuntimePtr]
    lib.anna_runtime_free.restype = None

    # Library-allocated strings: an unconverted pointer type (OwnedString),
    # copied with .value, then freed with anna_string_free.
    lib.anna_runtime_call.argtypes = [RuntimePtr, c_char_p]
    lib.anna_runtime_call.restype = OwnedString
    lib.anna_dev_token_mint.argtypes = [RuntimePtr, c_char_p]
    lib.anna_dev_token_mint.restype = OwnedString
    lib.anna_dev_token_verify.argtypes = [RuntimePtr, c_char_p]
    lib.anna_dev_token_verify.restype = OwnedString

    lib.anna_runtime_set_host_handler.argtypes = [RuntimePtr, HOST_CALL_FN, c_void_p]
    lib.anna_runtime_set_host_handler.restype = c_int
    lib.anna_runtime_host_reply.argtypes = [RuntimePtr, c_uint64, c_char_p]
    lib.anna_runtime_host_reply.restype = c_int

    lib.anna_string_free.argtypes = [OwnedString]
    lib.anna_string_free.restype = None


def load() -> tuple[ctypes.CDLL, Path, str]:
    path = _find()
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as e:
        raise LibraryLoadError(f"cannot load {path}: {e}") from e
    try:
        _declare(lib)
    except AttributeError as e:
        raise LibraryLoadError(f"{path} is not libannaruntime (missing symbol: {e})") from e
    found = lib.anna_runtime_version().decode("ascii", "replace")
    if not _compatible(found):
        raise LibraryLoadError(
            f"{path} is libannaruntime {found}, but this annaruntime package needs "
            f"{EXPECTED_LIBRARY_VERSION} (same major.minor, patch >= {EXPECTED_LIBRARY_VERSION.split('.')[2]}). "
            f"Rebuild/reinstall the package against the matching library or point {LIBRARY_ENV} at it."
        )
    return lib, path, found


lib, LIBRARY_PATH, LIBRARY_VERSION = load()
DISPATCHER_VERSION: str = lib.anna_dispatcher_version().decode("ascii", "replace")

_free = lib.anna_string_free


def take_string(ptr: "OwnedString | None") -> bytes:
    """Copy a library-allocated NUL-terminated string, then free it."""
    value = ptr.value if ptr is not None else None
    if value is None:
        raise MemoryError("libannaruntime returned NULL (out of memory)")
    _free(ptr)
    return value

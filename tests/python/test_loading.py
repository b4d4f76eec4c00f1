"""Finding and loading libannaruntime.so; the declared C API; the version check."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import annaruntime
from annaruntime import _lib

from .conftest import REPO

HEADER = REPO / "include" / "annaruntime.h"
BINDINGS = REPO / "bindings" / "python"


def header_functions() -> list[str]:
    text = HEADER.read_text()
    return sorted(set(re.findall(r"^[a-z_ ]+?\**\s*(anna_\w+)\s*\(", text, re.M)))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.update(env)
    e["PYTHONPATH"] = str(BINDINGS)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=60)


def test_every_header_function_is_declared() -> None:
    names = header_functions()
    assert "anna_runtime_call" in names and "anna_string_free" in names and len(names) >= 10
    for name in names:
        fn = getattr(_lib.lib, name)
        assert fn.argtypes is not None, name
        assert fn.restype is not None or name in ("anna_runtime_free", "anna_string_free"), name


def test_owned_strings_are_not_auto_converted() -> None:
    # Strings the library allocates must come back as pointers (to be freed),
    # never as bytes ctypes copied and lost the pointer of.
    for name in ("anna_runtime_call", "anna_dev_token_mint", "anna_dev_token_verify"):
        rt = getattr(_lib.lib, name).restype
        assert rt is _lib.OwnedString and issubclass(rt, ctypes.c_char_p), name
    assert _lib.lib.anna_runtime_new.restype is _lib.RuntimePtr
    assert _lib.lib.anna_runtime_free.argtypes == [_lib.RuntimePtr]
    # a distinct pointer type: a string pointer is refused where a runtime is expected
    with pytest.raises(ctypes.ArgumentError):
        _lib.lib.anna_runtime_free(ctypes.c_char_p(b"x"))


def test_versions() -> None:
    assert annaruntime.library_version() == _lib.lib.anna_runtime_version().decode()
    assert _lib._compatible(annaruntime.library_version())
    assert annaruntime.dispatcher_version() == "0.30.0"
    assert annaruntime.__version__ == _lib.EXPECTED_LIBRARY_VERSION


def test_version_compatibility_rule() -> None:
    assert _lib._compatible("0.1.0", "0.1.0")
    assert _lib._compatible("0.1.7", "0.1.0")
    assert not _lib._compatible("0.1.0", "0.1.2")
    assert not _lib._compatible("0.2.0", "0.1.0")
    assert not _lib._compatible("1.1.0", "0.1.0")
    assert not _lib._compatible("garbage", "0.1.0")


def test_candidate_order_from_checkout(monkeypatch) -> None:
    monkeypatch.delenv(_lib.LIBRARY_ENV, raising=False)
    paths = _lib.candidate_paths()
    assert paths[0] == BINDINGS / "annaruntime" / "libannaruntime.so"
    assert REPO / ".build" / "release" / "libannaruntime.so" in paths
    assert paths.index(REPO / ".build" / "release" / "libannaruntime.so") < paths.index(
        REPO / ".build" / "debug" / "libannaruntime.so")
    monkeypatch.setenv(_lib.LIBRARY_ENV, "/x/y.so")
    assert _lib.candidate_paths() == [Path("/x/y.so")]


def test_env_override_loads_that_file(tmp_path: Path) -> None:
    copy = tmp_path / "libcopy.so"
    shutil.copyfile(_lib.LIBRARY_PATH, copy)
    r = run_python("import annaruntime; print(annaruntime.LIBRARY_PATH)", ANNARUNTIME_LIBRARY=str(copy))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(copy)


def test_env_override_missing_file_fails_clearly() -> None:
    r = run_python("import annaruntime", ANNARUNTIME_LIBRARY="/nonexistent/libannaruntime.so")
    assert r.returncode != 0
    assert "LibraryLoadError" in r.stderr and "/nonexistent/libannaruntime.so" in r.stderr


FAKE_LIB = r"""
#include <stdint.h>
#include <stddef.h>
const char *anna_runtime_version(void) { return "VERSION"; }
const char *anna_dispatcher_version(void) { return "0.30.0"; }
void *anna_runtime_new(const char *c, char **e) { return 0; }
void anna_runtime_free(void *rt) {}
char *anna_runtime_call(void *rt, const char *r) { return 0; }
char *anna_dev_token_mint(void *rt, const char *p) { return 0; }
char *anna_dev_token_verify(void *rt, const char *p) { return 0; }
int anna_runtime_set_host_handler(void *rt, void *fn, void *u) { return -1; }
int anna_runtime_host_reply(void *rt, uint64_t id, const char *r) { return -1; }
MAYBE_FREE
"""


def build_fake(tmp_path: Path, version: str, with_free: bool = True) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler to build a fake library")
    src = tmp_path / "fake.c"
    src.write_text(FAKE_LIB.replace("VERSION", version).replace(
        "MAYBE_FREE", "void anna_string_free(char *s) {}" if with_free else ""))
    out = tmp_path / f"libfake-{version}-{with_free}.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return out


def test_version_mismatch_fails_at_import(tmp_path: Path) -> None:
    fake = build_fake(tmp_path, "9.9.9")
    r = run_python("import annaruntime", ANNARUNTIME_LIBRARY=str(fake))
    assert r.returncode != 0
    msg = r.stderr.strip().splitlines()[-1]
    assert "LibraryLoadError" in msg
    assert "9.9.9" in msg and _lib.EXPECTED_LIBRARY_VERSION in msg and str(fake) in msg


def test_missing_symbol_fails_at_import(tmp_path: Path) -> None:
    fake = build_fake(tmp_path, _lib.EXPECTED_LIBRARY_VERSION, with_free=False)
    r = run_python("import annaruntime", ANNARUNTIME_LIBRARY=str(fake))
    assert r.returncode != 0
    assert "is not libannaruntime" in r.stderr and "anna_string_free" in r.stderr


def test_take_string_frees_and_copies() -> None:
    ptr = _lib.lib.anna_runtime_call(None, b'{"id":1,"method":"ping"}')
    assert isinstance(ptr, _lib.OwnedString)
    assert _lib.take_string(ptr) == (b'{"jsonrpc": "2.0", "id": null, "error": '
                                     b'{"code": -32603, "message": "internal: runtime handle is NULL"}}')
    with pytest.raises(MemoryError):
        _lib.take_string(None)


@pytest.mark.skipif(os.environ.get("ANNARUNTIME_TEST_INSTALL") != "1",
                    reason="set ANNARUNTIME_TEST_INSTALL=1: pip-installs into a fresh venv (needs PyPI for setuptools)")
def test_pip_install_bundles_the_library(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    build = tmp_path / "src"
    shutil.copytree(BINDINGS, build, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    env = dict(os.environ, ANNARUNTIME_LIBRARY=str(_lib.LIBRARY_PATH))
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(build)], check=True, env=env, timeout=600)
    env.pop("ANNARUNTIME_LIBRARY")
    code = textwrap.dedent("""
        import annaruntime, os
        assert os.path.dirname(annaruntime.LIBRARY_PATH) == os.path.dirname(annaruntime.__file__), annaruntime.LIBRARY_PATH
        s = annaruntime.LocalDispatcherSession.create(user_id=1, manifest_dict={})
        print(s.call_sync("window", "ready"))
    """)
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "{'ok': True}"

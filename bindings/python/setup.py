"""Bundles libannaruntime.so into the package at build time.

`pip install ./bindings/python` (or `pip wheel`) copies the library into the
built package from, first hit wins: $ANNARUNTIME_LIBRARY, a copy already put
in annaruntime/ (build_wheel.sh does that), the checkout's .build/release/.
Without one the package still installs and then looks for the library at run
time ($ANNARUNTIME_LIBRARY). The wheel is tagged for this platform since it
carries a native library (py3-none-<platform>: ctypes, no Python ABI).
"""

import os
import shutil
import sys
import sysconfig

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = "libannaruntime.so"


def find_library():
    env = os.environ.get("ANNARUNTIME_LIBRARY")
    candidates = [env] if env else []
    candidates += [
        os.path.join(HERE, "annaruntime", LIB),
        os.path.join(HERE, "..", "..", ".build", "release", LIB),
    ]
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.realpath(c)
    return None


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        src = find_library()
        dst = os.path.join(self.build_lib, "annaruntime", LIB)
        if src is None:
            sys.stderr.write("warning: libannaruntime.so not found; the package will need $ANNARUNTIME_LIBRARY\n")
            return
        if os.path.realpath(dst) != src:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
        sys.stderr.write(f"bundling {src}\n")


cmdclass = {"build_py": BuildPyWithLibrary}

try:
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # setuptools >= 70.1
    except ImportError:
        from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        def get_tag(self):
            plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = PlatformWheel
except ImportError:
    pass

class BinaryDistribution(Distribution):
    """Carries a native library: platform wheel, installed to platlib."""

    def has_ext_modules(self):
        return True


setup(cmdclass=cmdclass, distclass=BinaryDistribution)

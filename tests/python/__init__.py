# A package, so that this directory's conftest is imported as
# `python.conftest` and does not shadow tests/sdk's `conftest` module when
# both directories run in one pytest session (scripts/test-all.sh).

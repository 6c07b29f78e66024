"""The relay's fan-out loop in C (lectern/webrtc/relay/_fanout.c), built by `pip install -e .` (`make install`):
it needs a C compiler and Python's headers. Everything else about the package is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "lectern.webrtc.relay._fanout",
            sources=["lectern/webrtc/relay/_fanout.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
        )
    ]
)

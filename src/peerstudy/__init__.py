"""peerstudy: reproducible analysis of peer-support studies in community mental health."""

from peerstudy.errors import ConfigError, InputError, PeerstudyError, Problem

__all__ = ["ConfigError", "InputError", "PeerstudyError", "Problem"]
__version__ = "0.1.0"

"""Errors a user can act on.

Everything the command line reports as "bad input" (one line on stderr, exit code 2) derives from
:class:`NasError`. Messages follow the pattern ``<where>: <what> must be X, but got Y``.
"""


class NasError(Exception):
    """Base class of all errors caused by user input (configs, files, options)."""


class ConfigError(NasError, ValueError):
    """An architecture, search space or option value is invalid."""


class DataError(NasError, ValueError):
    """A data set could not be read or is unusable."""


class StudyError(NasError, RuntimeError):
    """A study cannot be created, loaded or continued as asked."""

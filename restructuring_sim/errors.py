"""User-facing errors.

A :class:`UserError` is raised for anything the user can fix (a bad path, a malformed scenario,
an out-of-range value). The command line prints its message on one line and exits with status 2;
library callers can catch it. Messages name the field or path, the value, and what is allowed.
"""


class UserError(Exception):
    """An error in the user's input, reported as one line without a traceback."""

"""The one error type of the command line: a message for the user, exit status 2."""


class CLIError(Exception):
    """Bad input or an unusable request; ``main`` prints the message on one line, exits 2."""

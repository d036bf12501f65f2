"""The one exception type for bad user input; the CLI turns it into a one-line message, exit 2."""


class InputError(ValueError):
    """Bad input from a user: a file, a column, a scenario field.

    The message is one line that names the file, line or field and says what would be valid.
    """

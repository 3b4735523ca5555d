"""Query parameters that cannot reach a handler as an argument."""

from flask import request


def shadowed_integer(name: str) -> int | None:
    """The integer query parameter `name`, which the spec has validated.

    Connexion passes the token's user to handlers as `user`, and that value replaces a query
    parameter of the same name (`GET /course/{id}/?view=user&user=7`). Like Connexion's validation,
    this reads the last value when the parameter is repeated.
    """
    values = request.args.getlist(name)
    return int(values[-1]) if values else None

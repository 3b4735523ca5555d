"""Connexion's Bearer and API key security handlers, with the hooks' signatures inspected once.

Connexion inspects the signature of a scheme's hook (`x-bearerInfoFunc`, `x-apikeyInfoFunc`) on every
request, through its private `AbstractSecurityHandler._accepts_kwarg`, to know whether it takes
`request` and `required_scopes`. A hook's signature never changes, so here the answer is cached; the
hooks themselves (JWT verification) live in api.auth.
"""

import functools

from connexion.security import AbstractSecurityHandler, ApiKeySecurityHandler, BearerSecurityHandler


class _KnownSignatures:
    @staticmethod
    @functools.cache
    def _accepts_kwarg(func, keyword: str) -> bool:
        return AbstractSecurityHandler._accepts_kwarg(func, keyword)


class BearerHandler(_KnownSignatures, BearerSecurityHandler):
    pass


class TokenHandler(_KnownSignatures, ApiKeySecurityHandler):
    pass


# The spec's schemes by type (see `security_map` of connexion.FlaskApp).
SECURITY_MAP = {"bearer": BearerHandler, "apiKey": TokenHandler}

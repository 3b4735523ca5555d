"""Connexion's Bearer and API key security handlers, bound to our JWT hooks, with signatures inspected once.

Connexion finds a scheme's hook through a module path in the spec (`x-bearerInfoFunc`,
`x-apikeyInfoFunc`). Such a path would make the layout of our code part of the published document, so
the spec names no function: each handler here returns its hook (api.auth) itself.

Connexion also inspects the signature of the hook on every request, through its private
`AbstractSecurityHandler._accepts_kwarg`, to know whether it takes `request` and `required_scopes`.
A hook's signature never changes, so here the answer is cached.
"""

import functools

from connexion.security import AbstractSecurityHandler, ApiKeySecurityHandler, BearerSecurityHandler

from api import auth


class _KnownSignatures:
    @staticmethod
    @functools.cache
    def _accepts_kwarg(func, keyword: str) -> bool:
        return AbstractSecurityHandler._accepts_kwarg(func, keyword)


class BearerHandler(_KnownSignatures, BearerSecurityHandler):
    def _resolve_func(self, security_scheme):
        return auth.decode_bearer


class TokenHandler(_KnownSignatures, ApiKeySecurityHandler):
    def _resolve_func(self, security_scheme):
        return auth.decode_token_scheme


# The spec's schemes by type (see `security_map` of connexion.FlaskApp).
SECURITY_MAP = {"bearer": BearerHandler, "apiKey": TokenHandler}

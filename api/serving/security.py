"""Connexion's Bearer and API key security handlers, bound to our JWT hooks, with signatures inspected once.

Connexion finds a scheme's hook through a module path in the spec (`x-bearerInfoFunc`,
`x-apikeyInfoFunc`). Such a path would make the layout of our code part of the published document, so
the spec names no function: each handler here returns its hook (api.auth) itself.

Connexion also inspects the signature of the hook on every request, through its private
`AbstractSecurityHandler._accepts_kwarg`, to know whether it takes `request` and `required_scopes`.
A hook's signature never changes, so here the answer is cached.

Operations that visitors may call (CONTENT_AVAILABILITY) list `{}` among their security alternatives;
`VisitorAwareSecurity` keeps a request with a bad token from passing as a visitor's.
"""

import functools

from connexion.middleware.security import SecurityAPI, SecurityMiddleware
from connexion.security import (
    NO_VALUE,
    AbstractSecurityHandler,
    ApiKeySecurityHandler,
    BearerSecurityHandler,
    SecurityHandlerFactory,
)

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


class _VisitorOrCredentials(SecurityHandlerFactory):
    """Connexion's security handler factory, but a request with credentials is never a visitor.

    An operation that visitors may call lists `{}` among its security alternatives. Connexion tries the
    alternatives in turn and takes the first that does not fail, so a request whose token is bad
    (expired, say) would pass as a visitor's and get a visitor's answer instead of the 401 that tells
    its client to sign in again. Here `{}` admits only requests that carry no `Authorization` at all.
    """

    @staticmethod
    def verify_none(request):
        return NO_VALUE if "authorization" in request.headers else {}


class _SecurityAPI(SecurityAPI):
    def make_operation(self, operation):
        if not isinstance(self.security_handler_factory, _VisitorOrCredentials):
            self.security_handler_factory = _VisitorOrCredentials(self.security_handler_factory.security_handlers)
        return super().make_operation(operation)


class VisitorAwareSecurity(SecurityMiddleware):
    """Takes the place of Connexion's SecurityMiddleware (see api.serving.app_options)."""

    api_cls = _SecurityAPI

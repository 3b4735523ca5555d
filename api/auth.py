"""SelfCommunity JWT authentication: HS256 access tokens naming an active user."""

import functools
import time
import uuid

import jwt
from connexion.exceptions import OAuthProblem
from connexion.security import NO_VALUE, AbstractSecurityHandler, ApiKeySecurityHandler, BearerSecurityHandler

from api import database
from api.config import Settings, settings_of
from api.errors import Unauthorized
from models import User

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["user_id", "token_type", "jti", "iat", "exp"]


class _KnownSignatures:
    """Connexion inspects the hook's signature on every request; it never changes, so inspect it once."""

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


def decode_bearer(token: str, request) -> dict:
    """Security hook of the `Bearer` scheme."""
    return verify(token, settings_of(request.scope))


def decode_token_scheme(header_value: str, request):
    """Security hook of the SDK's `Token` scheme; any other scheme is left to `decode_bearer`."""
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "token":
        return NO_VALUE
    return verify(token.strip(), settings_of(request.scope))


def verify(token: str, settings: Settings) -> dict:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            leeway=settings.jwt_leeway,
            options={"require": REQUIRED_CLAIMS, "verify_iat": True},
        )
    except jwt.ExpiredSignatureError:
        raise OAuthProblem(detail="The token has expired.")
    except jwt.ImmatureSignatureError:
        raise OAuthProblem(detail="The token is not valid yet.")
    except jwt.MissingRequiredClaimError as exc:
        raise OAuthProblem(detail=f"The token lacks the '{exc.claim}' claim.")
    except jwt.InvalidTokenError as exc:
        raise OAuthProblem(detail=f"The token is not valid: {exc}.")
    user_id = claims["user_id"]
    if claims["token_type"] != "access":
        raise OAuthProblem(detail="Only access tokens are accepted.")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id < 1:
        raise OAuthProblem(detail="The token's user_id must be a positive integer.")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise OAuthProblem(detail="The token's jti must be a non-empty string.")
    return {"sub": user_id, **claims}


def current_user(user_id: int) -> User:
    """The active user the verified token names; checked on every request, so deactivation is immediate."""
    user = database.session().get(User, user_id)
    if user is None or not user.is_active or user.deleted:
        raise Unauthorized("The token's user does not exist or is not active.")
    return user


def issue_token(user_id: int, secret: str, ttl: int = 3600) -> str:
    now = int(time.time())
    claims = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "JWT"})

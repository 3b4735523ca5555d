"""SelfCommunity JWT authentication: HS256 access tokens, verified before any handler runs.

Whether the user a token names is active is a rule of its own (api.rules.access.current_user). The
security handlers that call these hooks are Connexion's, with one change (api/serving/security.py).
"""

import time
import uuid

import jwt
from connexion.exceptions import OAuthProblem
from connexion.security import NO_VALUE

from api.config import Settings, settings_of

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["user_id", "token_type", "jti", "iat", "exp"]
# PyJWT checks the time claims with int(), which takes "1700000000" and true as well: we want JSON numbers.
TIME_CLAIMS = ("iat", "exp", "nbf")
# Ids end where the spec's `Id` does, at 2^53 - 1, the largest integer JavaScript holds exactly.
MAX_USER_ID = 2**53 - 1


def decode_bearer(token: str, request) -> dict:
    """Security hook of the `Bearer` scheme."""
    return verify(token, settings_of(request.scope))


def decode_token_scheme(header_value: str, request):
    """Security hook of the SDK's `Token` scheme; any other scheme is left to `decode_bearer`."""
    scheme, _, token = header_value.partition(" ")
    if scheme.lower() != "token":
        # Connexion's undocumented "no credentials of this scheme" (listed in api/serving/upstream.py).
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
    if not _is_integer(user_id) or not 1 <= user_id <= MAX_USER_ID:
        raise OAuthProblem(detail=f"The token's user_id must be an integer from 1 to {MAX_USER_ID}.")
    for name in TIME_CLAIMS:
        if name in claims and not (_is_integer(claims[name]) or isinstance(claims[name], float)):
            raise OAuthProblem(detail=f"The token's {name} must be a number (seconds since the epoch).")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise OAuthProblem(detail="The token's jti must be a non-empty string.")
    return {"sub": user_id, **claims}


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def issue_token(user_id: int, secret: str, ttl: int = 3600) -> str:
    now = int(time.time())
    claims = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "JWT"})

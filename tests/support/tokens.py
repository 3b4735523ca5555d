"""Access tokens as SelfCommunity signs them, under the secret of the test run."""

import time
import uuid

import jwt

SECRET = "test-secret-that-is-long-enough-for-hs256!"


def make_token(user_id, *, secret=SECRET, algorithm="HS256", ttl=3600, drop=(), **overrides):
    now = int(time.time())
    claims = {"user_id": user_id, "token_type": "access", "jti": uuid.uuid4().hex, "iat": now, "exp": now + ttl}
    claims.update(overrides)
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, secret, algorithm=algorithm)


def auth(user, scheme="Bearer"):
    return {"Authorization": f"{scheme} {make_token(user.id)}"}

"""Token authentication against stored key digests, refusing keys older than the last password change."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from users.models import Token
from users.selectors import token_is_stale


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: the key's SHA-256 is looked up (users.models.Token), so the table
    holds no working key; a key issued before the password last changed is dead."""

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user").filter(digest=Token.digest_of(key)).first()
        if token is None or token_is_stale(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token

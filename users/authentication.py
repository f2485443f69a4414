"""Token authentication that refuses tokens older than the account's last password change."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from users.selectors import token_is_stale


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`; a token issued before the password last changed is dead.

    The check reads the token's user, which DRF loads with the token anyway, so it costs no query.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_stale(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return user, token

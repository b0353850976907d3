"""Accounts: the routes that sign up, log in and out and delete (`routes`), the bearer-token check
(`authentication`), session tokens (`sessions`), OpenID Connect log-in (`oidc`) and its identities,
email verification and the one-time session handover."""

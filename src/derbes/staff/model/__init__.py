"""Pure rules of the staff slice: roles and permissions, TOTP, sign-in and session limits."""

"""Accounts, roles and merchant organizations."""

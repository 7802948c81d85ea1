"""Ratings and reviews of products, written by buyers who hold an entitlement to them."""

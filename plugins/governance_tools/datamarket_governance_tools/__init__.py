"""Governance tools for Datamarket: sensitive-data detection, masking, quality rules."""

__version__ = "0.1.0"

"""Raises while scanning a listing: its checks are missing, the submission still goes through."""

from datamarket_sdk import ListingSnapshot, Manifest, hookimpl


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="crashing_reviewer", version="1.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2")


@hookimpl
def datamarket_listing_submitted(listing: ListingSnapshot):
    raise RuntimeError(f"cannot scan listing {listing.listing_id}")

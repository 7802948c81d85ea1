"""Blocks every listing whose title mentions "forbidden"; runs untrusted, in its worker."""

from datamarket_sdk import Finding, ListingSnapshot, Manifest, hookimpl


@hookimpl
def datamarket_plugin_manifest() -> Manifest:
    return Manifest(name="strict_reviewer", version="1.0", merchant="91350100M000100Y43",
                    sdk=">=0.1,<0.2")


@hookimpl
def datamarket_listing_submitted(listing: ListingSnapshot) -> list[Finding]:
    if "forbidden" in listing.title.lower():
        return [Finding(code="strict.forbidden_title", severity="blocking",
                        message=f"Listing {listing.listing_id}: the title is not allowed.")]
    return [Finding(code="strict.seen", severity="info", message="Checked by strict_reviewer.")]

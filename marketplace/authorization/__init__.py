"""Authorization applications (授权申请): a buyer asks a merchant, and for level 4 products the
platform too, for the right to buy and use a product for a stated purpose (DESIGN.md §2.3).

The records and the question "is there an approved application?" (:mod:`.models`,
:mod:`.grants`) sit below delivery, which reads them when it grants an entitlement; the workflow
(:mod:`.services`) sits above delivery, because a revocation or a narrower decision changes the
entitlements granted under it. An import-linter contract keeps the two floors apart.
"""

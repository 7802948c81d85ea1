"""The output policy: what of an operation's answer the holder of a grant may see.

Minimal form, until the output policy with masking lands: fields outside ``grant.fields`` are
dropped; a grant that asks for masking fails the call closed (:class:`MaskingUnavailable`, 503)
rather than answer unmasked. The gateway calls :func:`apply` after every successful invocation.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.delivery.scope import OperationGrant
from marketplace.plugins.errors import InvocationError


class MaskingUnavailable(InvocationError):
    """A masking strategy the grant needs cannot be applied: the call fails closed."""

    status_code = 503

    def __init__(self, fields: list[str]):
        super().__init__(_l("The answer cannot be masked as your entitlement requires "
                            "(fields: %(fields)s); nothing was delivered or billed. Please try "
                            "again later.", fields=", ".join(fields)))


def apply(output: dict[str, Any], grant: OperationGrant, runtime: Any = None) -> dict[str, Any]:
    """``output`` as the grant allows: fields outside ``grant.fields`` dropped.

    :raises MaskingUnavailable: the grant masks fields, which this form cannot do.
    """
    if grant.masking:
        raise MaskingUnavailable(sorted(grant.masking))
    if grant.fields is None:
        return dict(output)
    return {name: value for name, value in output.items() if name in grant.fields}

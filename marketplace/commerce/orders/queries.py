"""Read-only commerce queries: an order or a receipt by its number, a buyer's orders page by page,
one item of a buyer's cart, how often products sold.

These functions find; the policy decides. Callers load a record here, answer 404 when it is
missing, and then ask :func:`marketplace.policy.authorize` about it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from marketplace.commerce.models import CartItem, Order, OrderLine, OrderState, Receipt


def order_by_number(session: Session, number: str) -> Order | None:
    """The order with this number, whoever bought it."""
    return session.exec(select(Order).where(Order.number == number)).first()


def receipt_by_number(session: Session, number: str) -> Receipt | None:
    """The receipt with this number, whoever it was issued to."""
    return session.exec(select(Receipt).where(Receipt.number == number)).first()


def buyer_orders(session: Session, buyer_id: int, *, state: OrderState | str | None = None,
                 page: int = 1, per_page: int = 20) -> tuple[list[Order], int]:
    """One page of a buyer's orders, newest first (optionally in one ``state``), and how many
    there are in all."""
    query = select(Order).where(Order.buyer_id == buyer_id)
    if state:
        query = query.where(Order.state == state)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Order.created_at).desc(), col(Order.id).desc())
                        .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def order_numbers(session: Session, order_ids: list[int]) -> dict[int, str]:
    """The numbers of several orders in one query, by order id."""
    if not order_ids:
        return {}
    rows = session.exec(select(Order.id, Order.number).where(col(Order.id).in_(set(order_ids))))
    return dict(rows.all())


def cart_item(session: Session, buyer_id: int, item_id: int) -> CartItem | None:
    """One item of the buyer's cart; another buyer's item is not found."""
    item = session.get(CartItem, item_id)
    return item if item is not None and item.buyer_id == buyer_id else None


def sales_by_product(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """How many times each product was bought (order lines of paid orders), by product id;
    products never bought are left out."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(OrderLine.product_id, func.count())
        .join(Order, col(Order.id) == OrderLine.order_id)
        .where(col(OrderLine.product_id).in_(ids), col(Order.paid_at).is_not(None))
        .group_by(OrderLine.product_id)
    ).all()
    return {product_id: int(count) for product_id, count in rows}

"""What a buyer asks of a merchant after paying: a refund of an order line, and an invoice
(发票) for the merchant's part of an order. The refund itself goes through
:mod:`commerce.payments.refunds`, the one refund path."""

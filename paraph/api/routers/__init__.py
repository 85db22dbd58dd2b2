"""The API's operations, one router per resource: ``contracts``, ``batches``
(bulk sends), ``webhooks``. ``paraph.api.api`` mounts them."""

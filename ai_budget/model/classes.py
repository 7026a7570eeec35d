"""The task classes routing knows, in order of value. Light (no pydantic): the routing rule reads them on
the fast path of `check`, the model validates a custom table against them."""

TASK_CLASSES = ("routine", "normal", "high", "critical")

# Client groups are shared with the directory, which tags services with them.
from marketplace.constants import ClientGroup

__all__ = ["ClientGroup"]

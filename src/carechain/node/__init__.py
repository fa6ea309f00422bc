"""A node: its data directory, keys, log, and the services that read and write records."""

from carechain.node.home import NodeHome, NodeInfo, enroll, init_node, rekey
from carechain.node.service import IngestResult, Node
from carechain.node.unit import Unit, Written

__all__ = [
    "IngestResult",
    "Node",
    "NodeHome",
    "NodeInfo",
    "Unit",
    "Written",
    "enroll",
    "init_node",
    "rekey",
]

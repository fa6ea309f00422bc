"""Sync between any two nodes: protocol, policy, client, server, tree-head checks."""
